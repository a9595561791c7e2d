"""Issue 25, the access test: every route of the indexer, the gateway and the console, walked
with each kind of caller, against the README's "Who sees what" table.

The routes are read from the apps themselves: a route with no entry in ``INDEXER``,
``GATEWAY_OPEN`` or ``CONSOLE`` fails the test until someone says (here and in the README)
who may read it. Each door is checked with each caller: anyone, a buyer holding the SD's link
(the public reference, no key), the party itself, its counterparty, an auditor, a certification
body (a read key, no auditor role) and another member — an upstream competitor and an outsider.
An answer fails the test when it shows a reader more than its row allows: the upstream
recycler's name, unit, certificate number or quantities to a buyer, another member or the
certification body; a party's data to a key that is no party to it."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.factories import (
    C_RESIN,
    G_RESIN,
    P_AUDITOR,
    P_BRAND,
    P_CERTIFIER,
    P_OUTSIDER,
    P_RECYCLER,
    P_RESIN,
    U_RECYCLER,
    U_RESIN,
    World,
)
from tests.indexer.conftest import follower_for
from tests.indexer.test_reports import flakes_to_resin
from tracenet.indexer import IndexerSettings, make_engine
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.verifier._chainread import ChainRecord, read_chain
from tracenet.indexer.verifier._public_ref import ref_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

README = Path(__file__).parents[1] / "README.md"

# ---- the table, as data (README "Who sees what": each route's door) --------------------------

#: Anyone with the public reference: the buyer's view; the full view to the party, its
#: counterparty and auditors (with their keys). A sequential id is 404 to everyone.
PUBLIC_REF = "public reference"
#: A read key of the party, its counterparty (shipments between them) or an auditor.
PARTIES = "parties and auditors"
#: A read key of the unit's party or an auditor (a unit's own books).
OWN_UNIT = "the unit's party and auditors"
#: A read key of the unit's party, an auditor, or a customer of the unit (its own deliveries).
UNIT_OR_CUSTOMER = "the unit's party, its customers for their deliveries, auditors"
#: Any read key, scoped to the key's own units (every one for an auditor).
OWN_ROWS = "any read key, its own rows"
#: Any read key, the registry and the mirror's state (no quantities, no counterparties).
ANY_KEY = "any read key"
#: Auditors only.
AUDITORS = "auditors"
#: Anyone: documentation, and checks of a document the caller holds.
OPEN = "anyone"

INDEXER: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/docs"): OPEN,
    ("POST", "/v1/declarations/check"): OPEN,
    ("GET", "/v1/claims/{ref}/verification"): PUBLIC_REF,
    ("GET", "/v1/shipments/{ref}/verification"): PUBLIC_REF,
    ("GET", "/v1/shipments/{ref}/declaration"): PUBLIC_REF,
    ("GET", "/v1/shipments/{shipment_id}/declaration.pdf"): PARTIES,
    ("GET", "/v1/shipments/{shipment_id}/declaration.html"): PARTIES,
    ("GET", "/v1/shipments/{shipment_id}/provenance"): PARTIES,
    ("GET", "/v1/shipments/{shipment_id}/reference"): PARTIES,
    ("GET", "/v1/claims/{claim_id}/provenance"): PARTIES,
    ("GET", "/v1/claims/{claim_id}/reference"): PARTIES,
    ("GET", "/v1/units/{unit_id}/statement"): OWN_UNIT,
    ("GET", "/v1/units/{unit_id}/traceability"): UNIT_OR_CUSTOMER,
    ("GET", "/v1/product-groups/{product_group_id}/footprint"): OWN_UNIT,
    ("GET", "/v1/classes/{class_id}/reduction-check"): OWN_UNIT,
    ("GET", "/v1/classes/{class_id}/audit"): AUDITORS,
    ("GET", "/v1/balances"): OWN_ROWS,
    ("GET", "/v1/shipments"): OWN_ROWS,
    ("GET", "/v1/registry/{kind}"): ANY_KEY,
    ("GET", "/v1/status"): ANY_KEY,
    ("POST", "/v1/reports/verify"): ANY_KEY,
}

#: The gateway's routes anyone may call: everything else needs the gateway's own party's key.
GATEWAY_OPEN = {"/v1/health", "/docs", "/openapi.json", "/docs/assets"}

#: The console's routes: open to anyone (buyer pages by reference, sign-in, the SD check) or
#: behind a party's sign-in (its own books, through its own keys).
SIGNED_IN = "signed in"
CONSOLE_OPEN = {
    "/", "/search", "/signin", "/signout", "/verify/document", "/verify/claim/{ref}",
    "/verify/shipment/{ref}", "/verify/shipment/{ref}/declaration.{fmt}",
    "/chain/{kind}/{ref}", "/static", "/openapi.json", "/docs", "/docs/assets",
}  # fmt: skip


def routes(app: Any) -> Iterator[tuple[str, str]]:
    """Every (method, path) an app answers, its included routers' too (mounts by prefix)."""
    stack = list(app.routes)
    while stack:
        r = stack.pop()
        original = getattr(r, "original_router", None)
        if original is not None:
            stack += list(original.routes)
        elif hasattr(r, "methods") and r.methods:
            for method in sorted(r.methods - {"HEAD"}):
                yield method, r.path
        elif hasattr(r, "path"):
            yield "MOUNT", r.path


# ---- the indexer ------------------------------------------------------------------------------

KEYS = {"recycler": P_RECYCLER, "resin": P_RESIN, "brand": P_BRAND, "outsider": P_OUTSIDER,
        "auditor": P_AUDITOR, "certifier": P_CERTIFIER}  # fmt: skip


@pytest.fixture
def indexer(world: World, tmp_path: Path) -> Iterator[tuple[TestClient, ChainRecord, dict]]:
    flakes_to_resin(world)  # shipment 1 recycler → resin, 2 resin → brand, claim 1 by the brand
    engine: Engine = make_engine(f"sqlite:///{tmp_path}/mirror.sqlite3")
    follower_for(world, engine).catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    with engine.begin() as conn:
        keys = {name: create_key(conn, party) for name, party in KEYS.items()}
    settings = IndexerSettings(public_rate_per_minute=0, document_rate_per_minute=0)
    app = create_app(engine, chain=lambda: record, ledger=lambda: world.handle, settings=settings)
    with TestClient(app) as client:
        yield client, record, keys
    engine.dispose()


def _secrets(record: ChainRecord) -> list[str]:
    """The upstream recycler, as the brand's buyer must not read it: name, unit, certificate
    number; and its quantities (10 t input, 6 t shipped). (Its address is not among them: the
    test world gives every unit the same one, the brand's included, which the claim names.)"""
    party = record.parties[P_RECYCLER]
    unit = record.units[U_RECYCLER]
    out = [party.name, unit.name, "10000000", "6000000"]
    out += [c.number for c in record.certificates.values() if c.holder_party_id == P_RECYCLER]
    return out


def _call(client: TestClient, method: str, path: str, key: str | None, **kw: Any) -> Any:
    headers = {"X-API-Key": key} if key else {}
    return client.request(method, path, headers=headers, **kw)


def test_every_indexer_route_is_in_the_table_and_the_readme(indexer: Any) -> None:
    client, _, _ = indexer
    found = {(m, p) for m, p in routes(client.app) if m != "MOUNT"}
    assert found - set(INDEXER) == set(), "routes without an entry in the access table"
    assert set(INDEXER) - found == set(), "entries of the access table that are no route"
    section = README.read_text().split("### Who sees what", 1)[1].split("\n## ", 1)[0]
    for (_, path), door in INDEXER.items():
        if door == PUBLIC_REF:
            assert f"`{path}`" in section, path


def test_the_public_references_show_no_more_than_the_table(indexer: Any) -> None:
    client, record, keys = indexer
    hidden = _secrets(record)
    refs = {"claim": ref_of(record, "claim", 1), "shipment": ref_of(record, "shipment", 2)}
    entitled = {"claim": {"brand", "auditor"}, "shipment": {"resin", "brand", "auditor"}}
    for (method, path), door in INDEXER.items():
        if door != PUBLIC_REF:
            continue
        kind = "claim" if path.startswith("/v1/claims") else "shipment"
        for who in (None, *KEYS):  # anyone / the buyer holding the link: no key
            key = keys[who] if who else None
            answer = _call(client, method, path.replace("{ref}", refs[kind]), key)
            assert answer.status_code == 200, (path, who, answer.text)
            body = answer.json()
            if who in entitled[kind]:
                assert body["view"] == "full", (path, who)
                continue
            assert body["view"] == "public", (path, who)
            shown = [s for s in hidden if s in json.dumps(body)]
            assert shown == [], (path, who, shown)
            for ident in ("1", "2", "3"):  # the sequential ids: nothing, for anyone
                walked = _call(client, method, path.replace("{ref}", ident), key)
                assert walked.status_code == 404, (path, who, ident)
                assert walked.json()["error"] == "ReferenceUnknown"


#: Each keyed door's concrete call (shipment 2: resin → brand; claim 1: the brand's; the resin
#: maker's unit) and who is entitled to a 200.
_CONCRETE = {
    "/v1/shipments/{shipment_id}/declaration.pdf": ("/v1/shipments/2/declaration.pdf", {}),
    "/v1/shipments/{shipment_id}/declaration.html": ("/v1/shipments/2/declaration.html", {}),
    "/v1/shipments/{shipment_id}/provenance": ("/v1/shipments/2/provenance", {}),
    "/v1/shipments/{shipment_id}/reference": ("/v1/shipments/2/reference", {}),
    "/v1/claims/{claim_id}/provenance": ("/v1/claims/1/provenance", {}),
    "/v1/claims/{claim_id}/reference": ("/v1/claims/1/reference", {}),
    "/v1/units/{unit_id}/statement": (
        f"/v1/units/{U_RESIN}/statement",
        {"class_id": C_RESIN, "period": "index:0"},
    ),
    "/v1/units/{unit_id}/traceability": (
        f"/v1/units/{U_RESIN}/traceability",
        {"from": "1970-01-01", "to": "2200-01-01"},
    ),
    "/v1/product-groups/{product_group_id}/footprint": (
        f"/v1/product-groups/{G_RESIN}/footprint",
        {"from": "1970-01-01", "to": "2200-01-01", "unit_id": U_RESIN},
    ),
    "/v1/classes/{class_id}/reduction-check": (
        f"/v1/classes/{C_RESIN}/reduction-check",
        {"period_a": "index:0", "period_b": "index:1", "unit_id": U_RESIN},
    ),
    "/v1/classes/{class_id}/audit": (f"/v1/classes/{C_RESIN}/audit", {"period": "index:0"}),
}
_ENTITLED = {
    "/v1/claims/{claim_id}/provenance": {"brand", "auditor"},
    "/v1/claims/{claim_id}/reference": {"brand", "auditor"},
    "/v1/units/{unit_id}/traceability": {"resin", "brand", "auditor"},
}


def test_the_keyed_doors_open_to_the_table_s_readers_only(indexer: Any) -> None:
    client, _, keys = indexer
    for (method, path), door in INDEXER.items():
        if door not in (PARTIES, OWN_UNIT, UNIT_OR_CUSTOMER, AUDITORS):
            continue
        concrete, params = _CONCRETE[path]
        if door == AUDITORS:
            allowed = {"auditor"}
        elif door == OWN_UNIT:
            allowed = {"resin", "auditor"}
        else:
            allowed = _ENTITLED.get(path, {"resin", "brand", "auditor"})
        anyone = _call(client, method, concrete, None, params=params)
        assert anyone.status_code == 401, (path, anyone.text)
        for who in KEYS:
            answer = _call(client, method, concrete, keys[who], params=params)
            if who in allowed:
                # statements and reductions of an empty period may be a 4xx of the report,
                # never a refusal of the reader
                assert answer.status_code not in (401, 403), (path, who, answer.text)
            else:
                assert answer.status_code in (403, 404), (path, who, answer.status_code)


def test_the_own_rows_doors_list_only_the_key_s_rows(indexer: Any) -> None:
    client, _, keys = indexer
    for who in ("outsider", "certifier"):  # no unit in any of the story's operations
        shipments = _call(client, "GET", "/v1/shipments", keys[who]).json()["shipments"]
        assert shipments == [], who
        balances = _call(client, "GET", "/v1/balances", keys[who]).json()["balances"]
        assert balances == [], who
    brand = _call(client, "GET", "/v1/shipments", keys["brand"]).json()["shipments"]
    assert {s["shipment_id"] for s in brand} == {2}  # not the recycler's shipment to the resin
    every = _call(client, "GET", "/v1/shipments", keys["auditor"]).json()["shipments"]
    assert {s["shipment_id"] for s in every} == {1, 2}
    for method, path in (("GET", "/v1/status"), ("GET", "/v1/registry/parties")):
        assert _call(client, method, path, None).status_code == 401, path
        assert _call(client, method, path, keys["outsider"]).status_code == 200, path


# ---- the gateway ------------------------------------------------------------------------------


def test_every_gateway_route_needs_its_party_s_key(
    world: World, world_keys: list[Any], tmp_path: Path
) -> None:
    from tests.gateway.conftest import open_harness

    with open_harness(world, world_keys, tmp_path) as h:
        walked = 0
        for method, path in routes(h.client.app):
            if method == "MOUNT" or path in GATEWAY_OPEN:
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            for key in (None, "tn_not_a_key_of_this_gateway"):
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                answer = h.client.request(method, concrete, headers=headers, json={})
                assert answer.status_code == 401, (method, path, key, answer.status_code)
            walked += 1
        assert walked > 20


# ---- the console ------------------------------------------------------------------------------


def test_every_console_route_is_open_by_reference_or_behind_sign_in() -> None:
    from tracenet.console import ConsoleSettings
    from tracenet.console import create_app as console_app

    app = console_app(ConsoleSettings(indexer_url="http://127.0.0.1:9", public_rate_per_minute=0))
    with TestClient(app) as client:
        for method, path in routes(app):
            if method == "MOUNT" or path in CONSOLE_OPEN:
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            answer = client.request(method, concrete, follow_redirects=False)
            # a form post without its token is refused before anything is read
            assert answer.status_code in (303, 403), (method, path, answer.status_code)
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/signin"), (method, path)
        # the open pages take a reference: an id opens the same "not found" as an unknown one
        pages = {
            client.get(p).text
            for p in ("/verify/claim/1", "/verify/shipment/2", "/chain/claim/1",
                      "/chain/shipment/2", "/verify/shipment/2/declaration.pdf")
        }  # fmt: skip
        assert len(pages) == 1 and "reference of 32 characters" in pages.pop()
