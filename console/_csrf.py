"""Cross-site request forgery: every POST proves it comes from a form of this console.

SameSite cookies alone do not: every port of ``127.0.0.1`` (and every subdomain of a site) is
the *same site*, so a page there gets the session cookie sent with the form it submits. Two
checks, both on every POST (``guard``, a dependency of the whole app, so a new POST route is
covered without asking for it; ``tests/console/test_csrf.py`` derives the routes and checks):

* **Origin**: the browser's ``Origin`` must be this console's own (``ConsoleSettings.origin``,
  else the scheme and ``Host`` the request came with); ``Origin: null`` (a sandboxed frame, a
  page with ``no-referrer``, a redirect chain) is refused. Without ``Origin`` the ``Referer``'s
  origin is compared instead; with neither (not a browser) the token alone decides.
* **Token**: a hidden ``csrf_token`` field in every form, an HMAC (with a key drawn when the
  process starts) of the session cookie, compared in constant time: it dies with the session.
  Before sign-in (the sign-in form, the buyer's document upload) it is the HMAC of a random
  pre-session cookie (``tracenet_console_csrf``) set with the page, so a login CSRF (a browser
  signed in to the attacker's party without knowing it) is refused too. A pre-session token
  is taken only where no session is needed: a party's write needs its session's token.

A refused request is a 403 page (``TN-CO-403-02 FormTokenInvalid``, ``TN-CO-403-03
FormOriginForeign``) and the route never runs: nothing is sent to a gateway or the indexer.

What neither check can do: cookies are not kept apart by port, so a *server* on another port of
the console's host receives the session cookie with every request the browser sends it (and
can set the console's cookies). The console needs a host name of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from tracenet.console._clients import ApiError
from tracenet.console._session import COOKIE

__all__ = ["FIELD", "PRE_COOKIE", "PUBLIC_POSTS", "FormRefused", "Tokens", "guard", "origin_of"]

#: The hidden form field that carries the token.
FIELD = "csrf_token"
#: The cookie of a browser not signed in: a random value the pre-session token is bound to.
PRE_COOKIE = "tracenet_console_csrf"
#: POST routes that need no session: a pre-session token is enough there.
PUBLIC_POSTS = frozenset({"/signin", "/verify/document"})

_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_AGAIN = "This form expired or came from another site; reload the page and try again."
_DEFAULT_PORT = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower-cased and without a default port; ``None``
    when it is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORT or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORT[scheme] else "")


class Tokens:
    """Makes and checks the tokens with a key of this process (sessions end with it too)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, kind: str, bound_to: str) -> str:
        digest = hmac.new(self._key, f"{kind}\0{bound_to}".encode(), hashlib.sha256).digest()
        return kind + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def for_session(self, sid: str) -> str:
        return self._mac("s", sid)

    def for_visitor(self, nonce: str) -> str:
        return self._mac("p", nonce)

    def issue(self, request: Request, signed_in: bool) -> str:
        """The token for the forms of a page: the session's when ``signed_in``, else the
        pre-session cookie's (drawn now if the browser has none: ``set_cookie`` sets it)."""
        sid = request.cookies.get(COOKIE)
        if signed_in and sid:
            return self.for_session(sid)
        nonce = request.cookies.get(PRE_COOKIE) or getattr(request.state, "csrf_nonce", None)
        if not nonce:
            nonce = request.state.csrf_nonce = secrets.token_urlsafe(32)
        return self.for_visitor(nonce)

    def set_cookie(self, request: Request, response: Response, secure: bool) -> None:
        """Sets the pre-session cookie that ``issue`` drew for this page, if it drew one."""
        nonce = getattr(request.state, "csrf_nonce", None)
        if nonce and not request.cookies.get(PRE_COOKIE):
            # Lax, not Strict: a buyer arriving from a link in a mail keeps the cookie its
            # page's form was made for. It grants nothing by itself.
            response.set_cookie(
                PRE_COOKIE, nonce, httponly=True, samesite="lax", secure=secure, path="/"
            )

    def valid(self, request: Request, given: str, public: bool) -> bool:
        """``given`` is the token of this browser's session; or, on a ``public`` route, of its
        pre-session cookie. Compared in constant time."""
        wanted = []
        sid, nonce = request.cookies.get(COOKIE), request.cookies.get(PRE_COOKIE)
        if sid:
            wanted.append(self.for_session(sid))
        if public and nonce:
            wanted.append(self.for_visitor(nonce))
        raw = given.encode("utf-8", "replace")
        found = False
        for token in wanted:  # no early exit: the time does not say which one matched
            found |= hmac.compare_digest(raw, token.encode())
        return found


def own_origin(request: Request) -> str | None:
    configured: str | None = request.app.state.settings.origin
    if configured:
        return origin_of(configured)
    host = request.headers.get("host")
    return origin_of(f"{request.url.scheme}://{host}") if host else None


class FormRefused(ApiError):
    """A POST the guard refused (403); ``again``: the console's page its form came from, to
    open afresh (reloading the refused answer would only send the same form again)."""

    def __init__(self, code: str, error: str, message: str, field: str | None = None,
                 again: str | None = None) -> None:  # fmt: skip
        super().__init__(403, code, error, message, field)
        self.again = again


def _page_of(request: Request, referer: str | None) -> str | None:
    """The path (and query) of ``referer`` when it is a page of this console."""
    if not referer or origin_of(referer) != own_origin(request):
        return None
    parts = urlsplit(referer)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")


async def guard(request: Request) -> None:
    """Refuses a state-changing request that is not from one of this console's own pages:
    ``FormRefused`` (403) before the route runs."""
    if request.method in _SAFE:
        return
    origin, referer = request.headers.get("origin"), request.headers.get("referer")
    if origin is not None or referer:
        claimed = origin if origin is not None else referer or ""
        seen = origin_of(claimed) if claimed.strip().lower() != "null" else None
        if seen is None or seen != own_origin(request):
            raise FormRefused(
                "TN-CO-403-03", "FormOriginForeign",
                f"{_AGAIN} It was sent from "
                f"{'a page that hides its origin' if seen is None else seen[:100]}, not from a "
                "page of this console, so nothing was recorded: if you did not mean to send "
                "it, another site tried to act in your name.",
            )  # fmt: skip
    form = await request.form()
    given = form.get(FIELD)
    tokens: Tokens = request.app.state.csrf
    public = request.url.path in PUBLIC_POSTS
    if not isinstance(given, str) or not given or not tokens.valid(request, given, public):
        raise FormRefused(
            "TN-CO-403-02", "FormTokenInvalid",
            f"{_AGAIN} It was made for a session that has ended (signed out, timed out or the "
            "console restarted) or carries no form token, so nothing was recorded.",
            again=_page_of(request, referer),
        )  # fmt: skip
