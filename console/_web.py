"""What every page shares: the template environment, the signed-in caller, and the clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._csrf import Tokens
from tracenet.console._session import COOKIE, Session, Sessions
from tracenet.console._settings import ConsoleSettings
from tracenet.console.errors import ConsoleError
from tracenet.kit import iso_time
from tracenet.kit.ratelimit import client_address, networks

__all__ = [
    "CallerDep",
    "GatewayDep",
    "IndexerDep",
    "PublicIndexerDep",
    "SignInRequired",
    "grams",
    "iso",
    "render",
    "templates",
]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def grams(value: Any) -> str:
    """Grams with thin-space thousands and the unit: ``6 000 000 g``."""
    try:
        return f"{int(value):,}".replace(",", "\u202f") + "\u00a0g"
    except (TypeError, ValueError):
        return str(value)


def iso(value: Any) -> str:
    """A unix time as an ISO-8601 UTC instant; an ISO string is shown as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso_time(value)
    return "" if value is None else str(value)


def short(value: Any, keep: int = 10) -> str:
    text = str(value or "")
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-keep + 2 :]}"


def unit(value: Any, names: dict[int, str] | None = None) -> str:
    """A unit by the registry's name (``Plant (unit 1)``, from ``_names.unit_names``), else
    ``unit 1``."""
    try:
        ident = int(value)
    except (TypeError, ValueError):
        return str(value)
    return (names or {}).get(ident) or f"unit {ident}"


templates.env.filters.update(grams=grams, iso=iso, short=short, unit=unit)


class SignInRequired(ConsoleError):
    """A party page opened without a session: the app redirects to the sign-in page."""


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page; its forms carry the CSRF token of the browser's session (or, signed out, of
    its pre-session cookie, set here when it has none: see ``_csrf``)."""
    caller = session_of(request)
    tokens: Tokens = request.app.state.csrf
    token = tokens.issue(request, signed_in=caller is not None)
    response = templates.TemplateResponse(
        request, template, {"caller": caller, "csrf_token": token, **context}, status_code=status
    )
    tokens.set_cookie(request, response, secure=settings_of(request).secure_cookies)
    return response


def settings_of(request: Request) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.settings
    return settings


def session_of(request: Request) -> Session | None:
    sessions: Sessions = request.app.state.sessions
    return sessions.get(request.cookies.get(COOKIE))


async def _caller(request: Request) -> Session:
    found = session_of(request)
    if found is None:
        raise SignInRequired
    return found


CallerDep = Annotated[Session, Depends(_caller)]


async def _gateway(request: Request, caller: CallerDep) -> AsyncIterator[GatewayClient]:
    client = GatewayClient(
        caller.gateway_url, caller.gateway_key, timeout=settings_of(request).timeout
    )
    try:
        yield client
    finally:
        await client.aclose()


GatewayDep = Annotated[GatewayClient, Depends(_gateway)]


async def _indexer(request: Request, caller: CallerDep) -> AsyncIterator[IndexerClient]:
    s = settings_of(request)
    client = IndexerClient(s.indexer_url, caller.indexer_key, timeout=s.timeout)
    try:
        yield client
    finally:
        await client.aclose()


IndexerDep = Annotated[IndexerClient, Depends(_indexer)]


async def _public_indexer(request: Request) -> IndexerClient:
    """The console's indexer client, telling the indexer the address it asks for (the
    indexer's public routes limit each buyer, not the console)."""
    client: IndexerClient = request.app.state.public_indexer
    trusted = networks(settings_of(request).trusted_proxies)
    return client.on_behalf_of(client_address(request.scope, trusted))


PublicIndexerDep = Annotated[IndexerClient, Depends(_public_indexer)]


async def attempt(coro: Any) -> tuple[Any, ApiError | None]:
    """``(result, None)`` or ``(None, error)``: a page shows what it could read."""
    try:
        return await coro, None
    except ApiError as exc:
        return None, exc
