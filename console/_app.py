"""Builds the console app: settings, sessions, the CSRF guard, the public indexer client, pages,
errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope

from tracenet.console import _auditor, _buyer, _chain, _document, _operations, _party, _reports
from tracenet.console._clients import ApiError, IndexerClient
from tracenet.console._csrf import Tokens, guard
from tracenet.console._offered import OfferedCache
from tracenet.console._session import Sessions
from tracenet.console._settings import ConsoleSettings
from tracenet.console._web import SignInRequired, render
from tracenet.console.errors import framework_code
from tracenet.kit.ratelimit import Refusal, limit_routes

__all__ = ["PUBLIC_PATHS", "create_app"]

#: The pages anyone may open, limited per client: (rule, methods, path).
PUBLIC_PATHS = [
    ("document", ("POST",), r"/verify/document"),
    ("public", ("GET", "HEAD"), r"/|/search|/verify/.*|/chain/.*"),
    ("public", ("GET", "HEAD", "POST"), r"/signin"),
]

#: Every page: no external origin, no framing, no sniffing.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser sends ``Origin: null`` with the
    # console's own form posts, which the CSRF guard must refuse (``_csrf``).
    "Referrer-Policy": "same-origin",
}


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    """The console app; ``settings`` default to ``TRACENET_CONSOLE_*`` from the environment."""
    s = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # never with a key: the buyer's pages read the public view (issue 25)
        app.state.public_indexer = IndexerClient(s.indexer_url, None, timeout=s.timeout)
        try:
            yield
        finally:
            await app.state.public_indexer.aclose()

    app = FastAPI(
        title="Tracenet console", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
        dependencies=[Depends(guard)],  # every POST: its origin and its form's CSRF token
    )  # fmt: skip
    app.state.settings = s
    app.state.csrf = Tokens()
    app.state.sessions = Sessions(s.session_minutes * 60)
    app.state.offered = OfferedCache(s.openapi_seconds)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    for module in (_buyer, _document, _chain, _party, _operations, _reports, _auditor):
        app.include_router(module.router)
    _handlers(app)
    _rate_limits(app, s)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for k, v in _HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    return app


def _rate_limits(app: FastAPI, s: ConsoleSettings) -> None:
    def refuse(scope: Scope, refusal: Refusal) -> Response:
        error = ApiError(429, "TN-CO-429-01", "RateLimited", refusal.message, None, refusal.args)
        return render(Request(scope), "error.html", status=429, error=error)

    limits = {"public": s.public_limit(), "document": s.document_limit()}
    limit_routes(app, PUBLIC_PATHS, limits, refuse, s.trusted_proxies)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def signin(request: Request, _: SignInRequired) -> Response:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        status = exc.status if 400 <= exc.status < 600 else 502
        return render(request, "error.html", status=status, error=exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        if tuple(first.get("loc", ())) in (("path", "ident"), ("path", "ref")):
            return _buyer.bad_ident(request)
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        error = ApiError(422, "TN-CO-422-01", "FieldInvalid", str(first.get("msg", "invalid")),
                         ".".join(loc) or None)  # fmt: skip
        return render(request, "error.html", status=422, error=error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        error = ApiError(exc.status_code, framework_code(exc.status_code), "HttpError",
                         str(exc.detail))  # fmt: skip
        return render(request, "error.html", status=exc.status_code, error=error)
