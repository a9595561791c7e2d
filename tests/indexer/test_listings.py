"""``GET /v1/shipments`` (a party's shipments in and out, with credits; auditors all) and
``GET /v1/registry/{kind}`` (the consortium's entities, any read key), on the flake-to-resin
illustration: 6 t of flakes with 6 t of credits to the resin maker, 4 t of resin with 2 t."""

from __future__ import annotations

import warnings
from typing import Any

from sqlalchemy import Engine

from tests.factories import (
    C_FLAKE,
    P_BRAND,
    P_RECYCLER,
    S_EU,
    S_PLUS,
    U_BRAND,
    U_RECYCLER,
    U_RESIN,
    World,
)
from tests.indexer.test_reports import (
    T,
    api,  # noqa: F401  (the fixture)
)
from tracenet.contracts import Custody
from tracenet.indexer import Follower
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette would rather have httpx2
    from fastapi.testclient import TestClient

Api = tuple[TestClient, dict[str, str]]


def _get(running: Api, who: str, url: str) -> Any:
    client, keys = running
    answer = client.get(url, headers={"X-API-Key": keys[who]})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_party_lists_its_shipments_in_and_out_with_their_credits(api: Api) -> None:  # noqa: F811
    resin_in = _get(api, "resin", "/v1/shipments?direction=in")["shipments"]
    assert [(s["from_unit_id"], s["to_unit_id"], s["direction"]) for s in resin_in] == [
        (U_RECYCLER, U_RESIN, "in")
    ]
    (flakes,) = resin_in
    assert (flakes["quantity_g"], flakes["credits_g"], flakes["share_bps"]) == (
        6 * T,
        6 * T,
        10_000,
    )
    assert flakes["time"].endswith("Z") and flakes["tx_hash"].startswith("0x")
    assert (flakes["product"], flakes["order_ref"]) == ("rPET", "PO-1")  # bytes32 text decoded

    both = _get(api, "resin", "/v1/shipments")["shipments"]
    assert [(s["direction"], s["credits_g"], s["share_bps"]) for s in both] == [
        ("out", 2 * T, 5_000),  # newest first: 4 t of resin carrying 2 t of credits
        ("in", 6 * T, 10_000),
    ]
    assert _get(api, "brand", "/v1/shipments?direction=out")["shipments"] == []
    assert _get(api, "outsider", "/v1/shipments")["shipments"] == []
    every = _get(api, "auditor", "/v1/shipments?limit=1")
    assert len(every["shipments"]) == 1 and every["truncated"] is True
    assert every["shipments"][0]["to_unit_id"] == U_BRAND


def test_any_member_lists_the_registry(api: Api) -> None:  # noqa: F811
    parties = _get(api, "outsider", "/v1/registry/parties")["rows"]
    recycler = parties[P_RECYCLER - 1]
    assert recycler["id"] == P_RECYCLER and {"member", "origin"} <= set(recycler["roles"])
    certificates = _get(api, "brand", "/v1/registry/certificates")["rows"]
    assert certificates and {"number", "valid_from", "scope_class_ids"} <= set(certificates[0])
    assert certificates[0]["holder_party"] and certificates[0]["scheme"]  # named beside the ids
    # as the certification body states it (issue 20), and the state at the mirror's head
    assert {(c["status"], c["state"]) for c in certificates} <= {
        ("valid", "valid"), ("valid", "expired"), ("suspended", "suspended"),
        ("withdrawn", "withdrawn"), ("terminated", "terminated"),
    }  # fmt: skip
    assert certificates[0]["status_since"] == certificates[0]["valid_from"]
    assert C_FLAKE in certificates[0]["scope_class_ids"] or any(
        C_FLAKE in c["scope_class_ids"] for c in certificates
    )
    classes = _get(api, "brand", "/v1/registry/classes")["rows"]
    assert classes[C_FLAKE - 1]["period_months"] > 0
    assert classes[C_FLAKE - 1]["model"] == "mass_balance"
    assert classes[C_FLAKE - 1]["raw_material"] == "circular"
    processes = _get(api, "brand", "/v1/registry/processes")["rows"]
    assert processes[0]["factors"] and "yield_bps" in processes[0]["factors"][0]
    signers = _get(api, "brand", "/v1/registry/signers")["rows"]
    assert signers and {"address", "party_id", "party", "unit_id", "active"} <= set(signers[0])
    units = _get(api, "brand", "/v1/registry/units")["rows"]
    assert units[U_RECYCLER - 1]["party"] and "boundary" in units[0]
    assert _get(api, "brand", "/v1/registry/boundaries")["kind"] == "boundaries"
    client, keys = api
    assert client.get("/v1/registry/parties").status_code == 401
    wrong = client.get("/v1/registry/secrets", headers={"X-API-Key": keys["brand"]})
    assert wrong.status_code == 422 and wrong.json()["code"] == "TN-IX-422-00"


def test_the_registry_lists_each_scheme_s_custody_mode_by_name(
    world: World, follower: Follower, engine: Engine
) -> None:
    """Issue 13: SchemeCustodySet reaches the mirror; the listing names the mode."""
    world.send(
        world.catalog.functions.setSchemeCustody(S_PLUS, Custody.certified), world.cast.admin
    )
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_BRAND)
    schemes = _get(
        (TestClient(create_app(engine)), {"brand": key}), "brand", "/v1/registry/schemes"
    )
    assert [(s["id"], s["custody"]) for s in schemes["rows"]] == [
        (S_PLUS, "certified"),
        (S_EU, "none"),
    ]
