"""The console's list of writes and its role map come from the gateway's OpenAPI
(console/_offered.py): every ledger write of the gateway's catalog has a console form, every
console form is a route the gateway publishes with its roles, and what a party is offered is
what the gateway says — read once per ``openapi_seconds``, never guessed when unreadable."""

from __future__ import annotations

import asyncio
import functools
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tracenet.console import ConsoleSettings, GatewayClient, create_app
from tracenet.console._clients import ApiError
from tracenet.console._forms import PARTY_FORMS
from tracenet.console._forms_admin import ADMIN_FORMS
from tracenet.console._offered import Offered, OfferedCache
from tracenet.console._roles import needs, permitted
from tracenet.console._session import COOKIE, Session
from tracenet.contracts import Role
from tracenet.gateway import GatewaySettings
from tracenet.gateway import create_app as gateway_app
from tracenet.gateway.operations._catalog import WRITES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@functools.cache
def gateway_openapi() -> dict[str, Any]:
    """The gateway's OpenAPI document, as ``GET /openapi.json`` serves it."""
    doc: dict[str, Any] = gateway_app(GatewaySettings(deployment="unused.json")).openapi()
    return doc


def test_every_ledger_write_of_the_catalog_has_a_console_form() -> None:
    forms = {f.path for f in PARTY_FORMS}
    missing = [w.kind for w in WRITES if w.path not in forms]
    assert not missing, f"no console form (console/_forms.py) for {missing}"
    assert forms <= {w.path for w in WRITES}  # and a party form is a catalog write


def test_every_console_form_is_a_write_the_gateway_publishes_with_its_roles() -> None:
    offered = Offered.from_openapi(gateway_openapi())
    for form in (*PARTY_FORMS, *ADMIN_FORMS):
        assert form.path in offered.roles, f"{form.key}: the gateway has no POST {form.path}"
    assert list(offered.kinds.values()) == [w.kind for w in WRITES]
    for w in WRITES:  # the role map is the catalog's, read from OpenAPI
        mask = sum((int(r) for r in w.roles), 0)
        assert offered.roles[w.path] == mask
        (form, *_) = [f for f in PARTY_FORMS if f.path == w.path]
        assert needs(form, offered) == (mask or int(Role.member | Role.origin))
    admin = next(f for f in ADMIN_FORMS if f.key == "class")
    certifier = next(f for f in ADMIN_FORMS if f.key == "certificate")
    assert (needs(admin, offered), needs(certifier, offered)) == (Role.admin, Role.certifier)


def test_a_write_the_gateway_does_not_offer_is_not_offered() -> None:
    doc = gateway_openapi()
    paths = {p: ops for p, ops in doc["paths"].items() if p != "/v1/lapses"}
    # …and one it publishes for another role than this console's tables would have said
    paths["/v1/inputs"] = {"post": {**doc["paths"]["/v1/inputs"]["post"],
                                    "x-tracenet-roles": ["member"]}}  # fmt: skip
    paths["/v1/productions"] = {"post": {**doc["paths"]["/v1/productions"]["post"],
                                         "x-tracenet-roles": ["regulator"]}}  # fmt: skip
    offered = Offered.from_openapi({**doc, "paths": paths})
    assert "/v1/productions" not in offered.roles  # a role unknown here is not "any party"
    keys = [f.key for f in permitted(PARTY_FORMS, int(Role.origin), offered)]
    assert "lapse" not in keys and "input" not in keys
    assert "input" in [f.key for f in permitted(PARTY_FORMS, int(Role.member), offered)]
    client = TestClient(create_app(ConsoleSettings(
        indexer_url="http://127.0.0.1:9", gateways={"recycler": "http://127.0.0.1:9"}
    )))  # fmt: skip
    client.app.state.offered.put("http://127.0.0.1:9", offered)  # type: ignore[attr-defined]
    with client:
        session = Session("recycler", "http://127.0.0.1:9", "gk", "ik", party_id=4, roles=8 | 16)
        client.cookies.set(COOKIE, client.app.state.sessions.open(session))  # type: ignore[attr-defined]
        page = client.get("/party/operations")
        assert "Lapse credits" not in page.text and "Record a certified input" in page.text
        assert client.get("/party/operations/lapse").status_code == 404


def _cache_over(answers: list[httpx.Response], ttl: float) -> tuple[OfferedCache, Any, list[str]]:
    seen: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        await asyncio.sleep(0)  # a real gateway answers later: another page may ask meanwhile
        return answers.pop(0)

    gateway = GatewayClient("http://gw", "k", timeout=1)
    gateway.http = httpx.AsyncClient(base_url="http://gw", transport=httpx.MockTransport(answer))
    return OfferedCache(ttl), gateway, seen


def _run(coro: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_the_gateways_openapi_is_read_once_per_ttl_and_an_unreadable_one_is_an_error() -> None:
    ok = httpx.Response(200, json=gateway_openapi())
    cache, gateway, seen = _cache_over([ok, ok], ttl=300)

    async def twice() -> tuple[Offered, Offered]:
        return await cache.of(gateway), await cache.of(gateway)

    async def together() -> list[Offered]:
        return list(await asyncio.gather(cache.of(gateway), cache.of(gateway)))

    first, second = _run(together())
    assert first is second and seen == ["/openapi.json"]  # one read for concurrent pages
    assert _run(twice())[0] is first and seen == ["/openapi.json"]
    cache, gateway, seen = _cache_over([ok, ok], ttl=0)
    _run(twice())
    assert seen == ["/openapi.json", "/openapi.json"]
    for broken in (
        httpx.Response(503, json={"code": "TN-GW-503-01"}),
        httpx.Response(200, json=[]),
    ):
        cache, gateway, _ = _cache_over([broken], ttl=300)
        with pytest.raises(ApiError) as unread:
            _run(cache.of(gateway))
        assert unread.value.status in (502, 503)


def test_the_operations_page_of_an_unreachable_gateway_says_so() -> None:
    client = TestClient(create_app(ConsoleSettings(
        indexer_url="http://127.0.0.1:9", gateways={"recycler": "http://127.0.0.1:9"}
    )))  # fmt: skip
    with client:
        session = Session("recycler", "http://127.0.0.1:9", "gk", "ik", party_id=4, roles=8)
        client.cookies.set(COOKIE, client.app.state.sessions.open(session))  # type: ignore[attr-defined]
        page = client.get("/party/operations")
        assert page.status_code == 503 and "ServiceUnavailable" in page.text
        assert "Record a certified input" not in page.text
