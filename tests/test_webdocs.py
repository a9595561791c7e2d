"""The services' /docs pages load nothing from the Internet: Swagger UI comes from a pinned
package and is served by the service itself."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tracenet.indexer import create_app, make_engine


def assets_are_local(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ["']([^"']+)["']""", page.text)
    found = [u for pair in urls for u in pair if u]
    assert found and all(u.startswith("/") for u in found), found
    assert "cdn" not in page.text.lower()
    for url in found:
        reply = client.get(url)
        assert reply.status_code == 200, url
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN: not offered


def test_the_indexer_docs_need_no_internet(tmp_path: Path) -> None:
    assets_are_local(TestClient(create_app(make_engine(f"sqlite:///{tmp_path}/m.sqlite3"))))
