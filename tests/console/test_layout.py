"""Layout in headless Chromium without a network: the pages rendered from their templates with
the console's own stylesheet, at the widths people use (no services needed)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.console.conftest import SHOTS
from tracenet import console
from tracenet.console._svg import provenance_graph
from tracenet.console._web import templates

pytestmark = pytest.mark.integration

_CSS = (Path(console.__file__).parent / "static" / "console.css").read_text(encoding="utf-8")


def _lineage(steps: int) -> dict[str, Any]:
    """input:1 → shipment:1 → conversion:1 → … → claim:1, one node per column."""
    keys = ["input:1", *[f"{k}:{i}" for i, k in enumerate(
        ["shipment", "conversion", "shipment", "transfer", "shipment"][: steps - 2], 1)],
        "claim:1"]  # fmt: skip
    nodes = [{"key": k, "kind": k.split(":")[0], "amount_g": 5_400_000, "block_number": 10 + i}
             for i, k in enumerate(keys)]  # fmt: skip
    edges = [{"source": a, "target": b, "amount_g": 5_400_000} for a, b in pairwise(keys)]
    return {"target": {"amount_g": 5_400_000}, "allocation_method": "credit", "nodes": nodes,
            "edges": edges, "origins": []}  # fmt: skip


@pytest.mark.parametrize("steps", [5, 7])
def test_the_provenance_graph_shows_its_last_box_on_a_1280_px_screen(
    browser: Browser, steps: int
) -> None:
    prov = _lineage(steps)
    html = templates.get_template("verify.html").render(
        kind="claim", ident=1, prov=prov, graph=provenance_graph(prov), steps=[], verdict=None,
        verdict_error=None, error=None, request=None, caller=None,
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_content(html)
        page.add_style_tag(content=_CSS)
        figure = page.locator("figure:has(svg.graph)").bounding_box()
        last = page.locator("svg.graph rect").last.bounding_box()
        assert figure is not None and last is not None
        assert last["x"] + last["width"] <= figure["x"] + figure["width"] + 0.5
        assert last["x"] + last["width"] <= 1280
        label = page.locator("svg.graph text.node").last
        assert label.text_content() == "claim:1"
        assert label.bounding_box()["height"] >= 8  # type: ignore[index]  # still readable
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"graph-{steps}-steps-1280.png"), full_page=True)
    finally:
        context.close()
