"""The console's browser tests: one real network per session (``stack.py``), one headless
Chromium (Debian's package, driven by Playwright), screenshots of every page.

Screenshots go to ``$TRACENET_SCREENSHOTS`` (default ``.tracenet/screenshots/``): CI keeps
that directory as an artifact."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.console.stack import Stack, free_port, start, stop
from tracenet.node import AnvilNode, NodeSettings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(os.environ.get("TRACENET_SCREENSHOTS", ".tracenet/screenshots"))


# Package scope: the stack's processes stop, and Playwright's event loop (its sync API keeps one
# running in this thread) closes, before the other packages' tests, which run asyncio themselves.
@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("console-stack")
    settings = NodeSettings(
        data_dir=tmp / "node", port=free_port(), block_time=1, accounts=12,
        gas_limit=1_000_000_000,
    )  # fmt: skip
    with AnvilNode(settings) as node:
        running = start(node.rpc_url, tmp)
        try:
            yield running
        finally:
            stop(running)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def shoot(page: Page, name: str, *, phone: bool = False) -> Path:
    """A full-page screenshot under ``SHOTS`` (and one at phone width with ``phone``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if phone:
        size = page.viewport_size
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        if size:
            page.set_viewport_size(size)
    return path


def sign_in(page: Page, stack: Stack, *, indexer_key: str | None = None, party: str = "recycler",
            gateway_key: str | None = None, lands: str = "**/party") -> None:  # fmt: skip
    """Signs in; the party lands on the page of its roles (``lands``)."""
    page.goto(stack.console_url + "/signin")
    page.get_by_label("Party").select_option(party)
    page.get_by_label("Gateway API key").fill(gateway_key or stack.gateway_key)
    page.get_by_label("Indexer read key", exact=False).fill(indexer_key or stack.indexer_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lands)


_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def form_token(client: Any, path: str = "/") -> str:
    """The CSRF token a console page (``client``: a TestClient) puts in its forms; the client
    keeps the cookie it is bound to."""
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found, f"{path}: no CSRF token in its forms"
    return found.group(1)
