"""Cross-site request forgery (issue 26): every POST route of the console, derived from the app's
routes, refuses a request without its form token or from another origin, before it sends
anything to a gateway or the indexer; the same request from the console's own page goes
through. Without a network: every call to a service is recorded and answered "unreachable"."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import ValidationError
from starlette.routing import Mount

from tests.console.conftest import form_token
from tests.console.test_console_unit import offer_the_gateways_writes
from tracenet import console
from tracenet.console import ApiError, ConsoleSettings, create_app
from tracenet.console._clients import _Client
from tracenet.console._csrf import FIELD, PRE_COOKIE, PUBLIC_POSTS, Tokens, origin_of
from tracenet.console._session import COOKIE, Session

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette would rather have httpx2
    from fastapi.testclient import TestClient

SELF = "http://testserver"  # the TestClient's origin
_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')

#: One request per POST route that, sent from the console's own page, reaches a service
#: (``calls``) or ends the session (``/signout``). A new POST route needs a line here.
SAMPLES: dict[str, dict[str, Any]] = {
    "/signin": {"data": {"party": "recycler", "gateway_key": "gk"}},
    "/signout": {},
    "/party/operations/{key}": {
        "key": "input",
        "data": {
            "unit": "plant",
            "class": "rpet-flake",
            "amount": "6 t",
            "certificate": "ISCC-1",
            "evidence_hash": "0x" + "ab" * 32,
        },
    },
    "/audit/sign": {"data": {"class_id": "1", "period": "2026-Q4"}},
    "/audit/verify": {"files": {"report": ("r.json", b'{"report": {}}', "application/json")}},
    "/verify/document": {"files": {"document": ("sd.pdf", b"%PDF-1.4", "application/pdf")}},
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every call the console makes to a gateway or the indexer, none of which answers."""
    seen: list[tuple[str, str]] = []

    async def request(self: _Client, method: str, path: str, **_: Any) -> Any:
        seen.append((method, path))
        raise ApiError.unreachable(self.service, ConnectionError(path))

    monkeypatch.setattr(_Client, "request", request)
    return seen


def _settings(**kw: Any) -> ConsoleSettings:
    # no rate limit: each route takes a dozen forged posts here (test_ratelimit tests limits)
    return ConsoleSettings(
        indexer_url="http://127.0.0.1:9", gateways={"recycler": "http://127.0.0.1:9"},
        public_rate_per_minute=0, document_rate_per_minute=0, **kw,
    )  # fmt: skip


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_settings())) as c:
        yield c


def _sign_in(client: TestClient, party: str = "recycler") -> str:
    """A session opened as ``/signin`` would (roles unknown: every form offered); its id."""
    sid: str = client.app.state.sessions.open(Session(party, "http://127.0.0.1:9", "gk", "ik"))  # type: ignore[attr-defined]
    client.cookies.set(COOKIE, sid)
    return sid


def _post_routes(app: Any) -> list[str]:
    """Every path that takes a POST, included routers walked through."""
    return sorted(
        str(r.path) for r in iter_route_contexts(app.routes) if "POST" in (r.methods or ())
    )


#: Derived from the app, not listed: a new POST route is tested (and needs a sample).
POST_ROUTES = _post_routes(create_app(_settings()))


def _send(client: TestClient, route: str, token: str | None, **headers: str) -> Any:
    assert route in SAMPLES, f"POST {route}: add a request to SAMPLES, and it is tested"
    sample = SAMPLES[route]
    path = re.sub(r"\{(\w+)\}", lambda m: str(sample[m.group(1)]), route)
    data = dict(sample.get("data") or {})
    if token is not None:
        data[FIELD] = token
    return client.post(path, data=data, files=sample.get("files"), headers=headers,
                       follow_redirects=False)  # fmt: skip


def test_every_post_route_is_known_and_behind_the_guard() -> None:
    assert len(POST_ROUTES) >= 6, POST_ROUTES  # the walk found the included routers' routes
    assert set(POST_ROUTES) == set(SAMPLES), "a new POST route: add a sample above"
    assert set(PUBLIC_POSTS) <= set(POST_ROUTES)  # no stale exemption
    for ctx in iter_route_contexts(create_app(_settings()).routes):
        # An APIRoute runs the app's dependencies (the guard); a Starlette route or a mounted
        # app would not: only GET routes of those, and only the static files mounted.
        route = ctx.original_route
        if isinstance(route, Mount):
            assert route.path == "/static", route.path
        elif not isinstance(route, APIRoute):
            assert set(ctx.methods or ()) <= {"GET", "HEAD"}, (ctx.path, ctx.methods)


@pytest.mark.parametrize("route", POST_ROUTES)
def test_a_forged_post_is_refused_and_sends_nothing(
    client: TestClient, calls: list[tuple[str, str]], route: str
) -> None:
    sid = _sign_in(client)
    good = form_token(client)
    other = TestClient(client.app)  # another browser, its own session
    _sign_in(other)
    foreign_token = form_token(other)
    refusals: list[tuple[str, str | None, dict[str, str], str]] = [
        ("no token", None, {}, "TN-CO-403-02"),
        ("an empty token", "", {}, "TN-CO-403-02"),
        ("a wrong token", "s." + "A" * 43, {}, "TN-CO-403-02"),
        ("another session's token", foreign_token, {}, "TN-CO-403-02"),
        ("no token, own origin", None, {"Origin": SELF}, "TN-CO-403-02"),
        ("a foreign Origin", good, {"Origin": "http://evil.example"}, "TN-CO-403-03"),
        ("Origin null", good, {"Origin": "null"}, "TN-CO-403-03"),
        ("another port", good, {"Origin": "http://testserver:8081"}, "TN-CO-403-03"),
        ("https, not http", good, {"Origin": "https://testserver"}, "TN-CO-403-03"),
        ("a foreign Referer", good, {"Referer": "http://evil.example/x"}, "TN-CO-403-03"),
        ("a Referer of no origin", good, {"Referer": "about:blank"}, "TN-CO-403-03"),
        ("a foreign Origin, own Referer", good,
         {"Origin": "http://evil.example", "Referer": SELF + "/"}, "TN-CO-403-03"),
    ]  # fmt: skip
    for case, token, headers, code in refusals:
        answer = _send(client, route, token, **headers)
        assert answer.status_code == 403, (case, answer.status_code, answer.text[:300])
        assert code in answer.text, case
        assert "reload the page and try again" in answer.text, case
        assert calls == [], (case, calls)  # nothing sent to a gateway or the indexer
        assert client.app.state.sessions.get(sid) is not None, case  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize(
    "headers",
    [{"Origin": SELF}, {"Referer": SELF + "/party"}, {}, {"Origin": "HTTP://TESTSERVER:80"}],
    ids=["origin", "referer", "token-only", "origin-spelt-otherwise"],
)
def test_the_console_s_own_form_goes_through(
    client: TestClient, calls: list[tuple[str, str]], route: str, headers: dict[str, str]
) -> None:
    sid = _sign_in(client)
    answer = _send(client, route, form_token(client), **headers)
    assert answer.status_code != 403, answer.text[:300]
    assert "TN-CO-403-" not in answer.text
    if route == "/signout":
        assert answer.status_code == 303 and client.app.state.sessions.get(sid) is None  # type: ignore[attr-defined]
    else:
        assert calls, "the route ran: it called its service"


def test_a_party_s_write_needs_its_session_s_token_not_a_visitor_s(
    client: TestClient, calls: list[tuple[str, str]]
) -> None:
    visitor = form_token(client, "/signin")  # signed out: the pre-session cookie's token
    assert visitor.startswith("p.") and client.cookies.get(PRE_COOKIE)
    _sign_in(client)
    for route in SAMPLES:
        answer = _send(client, route, visitor, Origin=SELF)
        if route in PUBLIC_POSTS:
            assert answer.status_code != 403, route  # a buyer's upload, the sign-in form
        else:
            assert answer.status_code == 403 and "TN-CO-403-02" in answer.text, route
    assert [c for c in calls if c[1] == "/v1/inputs"] == []


def test_sign_in_and_the_buyer_s_upload_work_signed_out_with_the_page_s_token(
    client: TestClient, calls: list[tuple[str, str]]
) -> None:
    page = client.get("/signin")
    cookie = page.headers["set-cookie"].lower()
    assert PRE_COOKIE in cookie and "httponly" in cookie and "samesite=lax" in cookie
    token = _TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    assert form_token(client, "/verify/document") == token  # one cookie, one token
    assert client.get("/").headers.get("set-cookie") is None  # set once, kept
    for route in sorted(PUBLIC_POSTS):
        assert _send(client, route, token, Origin=SELF).status_code != 403, route
    assert ("GET", "/v1/requests") in calls  # the keys were checked
    assert ("POST", "/v1/declarations/check") in calls  # the document was sent
    calls.clear()
    # Login CSRF: a token of another browser (the attacker's own visit) with this cookie.
    theirs = form_token(TestClient(client.app), "/signin")
    assert theirs != token
    for route in sorted(PUBLIC_POSTS):
        answer = _send(client, route, theirs)
        assert answer.status_code == 403 and "TN-CO-403-02" in answer.text
        answer = _send(client, route, token, Origin="http://127.0.0.1:9999")
        assert answer.status_code == 403 and "TN-CO-403-03" in answer.text
    assert calls == []
    assert client.cookies.get(COOKIE) is None  # never signed in


def test_a_refusal_is_a_clear_page_with_its_code(client: TestClient) -> None:
    _sign_in(client)
    page = _send(client, "/party/operations/{key}", None)
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "FormTokenInvalid" in page.text and "TN-CO-403-02" in page.text
    assert "This form expired or came from another site; reload the page and try again." in (
        page.text
    )
    assert "nothing was recorded" in page.text
    assert "data-again" not in page.text  # no page to go back to
    # Reloading a refused POST sends it again: the page links to a fresh copy of its form.
    expired = _send(
        client, "/party/operations/{key}", "s.old", Referer=SELF + "/party/operations/input?from=1"
    )
    assert expired.status_code == 403
    assert '<a href="/party/operations/input?from=1" data-again>' in expired.text
    elsewhere = _send(client, "/party/operations/{key}", "s.old", Origin=SELF,
                      Referer="http://evil.example/party/operations/input")  # fmt: skip
    assert elsewhere.status_code == 403 and "data-again" not in elsewhere.text
    foreign = _send(client, "/signout", form_token(client), Origin="http://evil.example")
    assert foreign.status_code == 403 and "FormOriginForeign" in foreign.text
    assert "http://evil.example" in foreign.text
    hidden = _send(client, "/signout", form_token(client), Origin="null")
    assert hidden.status_code == 403 and "a page that hides its origin" in hidden.text


def test_tokens_end_with_the_session_and_with_the_process(client: TestClient) -> None:
    _sign_in(client)
    old = form_token(client)
    assert _send(client, "/signout", old).status_code == 303
    _sign_in(client)  # a new session: a new token
    assert form_token(client) != old
    assert _send(client, "/signout", old).status_code == 403
    restarted = Tokens()
    assert restarted.for_session("sid") != Tokens().for_session("sid")
    assert Tokens(b"k" * 32).for_session("sid") == Tokens(b"k" * 32).for_session("sid")
    assert Tokens(b"k" * 32).for_session("sid") != Tokens(b"k" * 32).for_visitor("sid")


def test_behind_a_proxy_the_configured_origin_is_the_console_s(
    calls: list[tuple[str, str]],
) -> None:
    with TestClient(create_app(_settings(origin="https://console.example.org/"))) as c:
        offer_the_gateways_writes(c)  # no gateway runs: its OpenAPI from the catalog
        _sign_in(c)
        token = form_token(c)
        refused = _send(c, "/party/operations/{key}", token, Origin=SELF)
        assert refused.status_code == 403 and "TN-CO-403-03" in refused.text
        taken = _send(c, "/party/operations/{key}", token, Origin="https://console.example.org")
        assert taken.status_code != 403 and ("POST", "/v1/inputs") in calls
    for bad in ("console.example.org", "ftp://x", "https://x/console", "https://x:port"):
        with pytest.raises(ValidationError, match="origin"):
            _settings(origin=bad)


def test_origins_compare_as_browsers_write_them() -> None:
    assert origin_of("http://127.0.0.1:8800/party?x=1") == "http://127.0.0.1:8800"
    assert origin_of("HTTPS://Console.Example.ORG:443") == "https://console.example.org"
    assert origin_of("http://[::1]:8800") == "http://[::1]:8800"
    assert origin_of("http://localhost:8800") != origin_of("http://127.0.0.1:8800")
    for junk in ("null", "", "about:blank", "file:///etc", "http://", "http://x:99999"):
        assert origin_of(junk) is None, junk


def test_every_form_that_posts_carries_the_token() -> None:
    templates = Path(console.__file__).parent / "templates"
    forms = 0
    for path in templates.glob("*.html"):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", path.read_text(), re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                field = '<input type="hidden" name="csrf_token" value="{{ csrf_token }}">'
                assert field in form, f"{path.name}: a form that posts without the token"
    assert forms >= 6  # sign-in, sign-out, the write form, two audit forms, the SD upload


def test_the_console_s_own_posts_carry_its_origin() -> None:
    """Under ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null`` with a form
    post, which the guard refuses: the console's pages say ``same-origin``."""
    with TestClient(create_app(_settings())) as c:
        assert c.get("/").headers["referrer-policy"] == "same-origin"
