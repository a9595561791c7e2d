"""The gateway's /docs page loads nothing from the Internet (see tests/test_webdocs.py)."""

from __future__ import annotations

from tests.gateway.conftest import Harness
from tests.test_webdocs import assets_are_local


def test_the_docs_need_no_internet(harness: Harness) -> None:
    assets_are_local(harness.client)
