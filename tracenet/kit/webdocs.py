"""The services' interactive API docs (Swagger UI) served from the pinned ``swagger-ui-bundle-v2``
package: FastAPI's default pages load their JavaScript and CSS from a CDN, which leaves them blank
on a consortium network with no Internet (nothing is fetched at run time)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

__all__ = ["DOCS_ASSETS", "offline_docs"]

#: Where the Swagger UI files are served.
DOCS_ASSETS = "/docs/assets"


def offline_docs(app: FastAPI) -> None:
    """``/docs`` with local assets; build the app with ``docs_url=None, redoc_url=None``."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )
