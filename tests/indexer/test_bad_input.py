"""Hostile input to the read API: every case answers a 4xx with its stable code (indexer/ERRORS.md)
and the gateway's body ``{code, error, field, message, args}``, never a 500, and leaves the mirror
unchanged. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.factories import (
    C_FLAKE,
    G_FLAKE,
    P_AUDITOR,
    P_OUTSIDER,
    P_RECYCLER,
    S_PLUS,
    U_RECYCLER,
    World,
    class_spec,
)
from tests.indexer import hostile_pdf
from tests.indexer.test_reports import TestClient, flakes_to_resin
from tests.model import MASS_BALANCE
from tracenet.indexer import Follower, IndexerSettings
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.errors import CODES
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._store import OPERATION_TABLES
from tracenet.indexer.mirror._tables import ApiKey, Balance, Cursor

BIG = str(2**70)
U, C = U_RECYCLER, C_FLAKE
STATEMENT = f"/v1/units/{U}/statement?class_id={C}"

#: (who, method, url, status, code, field)
CASES: list[tuple[str | None, str, str, int, str, str | None]] = [
    (None, "GET", "/v1/status", 401, "TN-IX-401-01", "api_key"),
    ("forged", "GET", "/v1/status", 401, "TN-IX-401-02", "api_key"),
    ("auditor", "GET", f"/v1/balances?unit_id={BIG}", 404, "TN-IX-404-02", "unit_id"),
    ("auditor", "GET", f"/v1/balances?class_id={BIG}", 404, "TN-IX-404-03", "class_id"),
    ("auditor", "GET", "/v1/balances?unit_id=%C2%B2", 404, "TN-IX-404-02", "unit_id"),
    ("recycler", "GET", "/v1/balances?unit_id=4", 403, "TN-IX-403-01", "unit_id"),
    ("auditor", "GET", f"/v1/units/{BIG}/statement?class_id={C}&period=2031-Q1", 404,
     "TN-IX-404-02", "unit_id"),
    ("auditor", "GET", f"/v1/units/{U}/statement?class_id={BIG}&period=2031-Q1", 404,
     "TN-IX-404-03", "class_id"),
    ("auditor", "GET", f"{STATEMENT}&period={BIG}", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"{STATEMENT}&period=2031-13", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"{STATEMENT}&period=2031-03", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"{STATEMENT}&day=9999-12-31", 422, "TN-IX-422-01", "day"),
    ("auditor", "GET", f"{STATEMENT}&day=2031-02-30", 422, "TN-IX-422-00", "day"),
    ("auditor", "GET", STATEMENT, 422, "TN-IX-422-02", "period"),
    ("outsider", "GET", f"{STATEMENT}&period=2031-Q1", 403, "TN-IX-403-01", "unit_id"),
    ("auditor", "GET", f"/v1/units/{BIG}/traceability?from=2031-01-01&to=2031-04-01", 404,
     "TN-IX-404-02", "unit_id"),
    ("auditor", "GET", f"/v1/units/{U}/traceability?from=2031-04-01&to=2031-01-01", 422,
     "TN-IX-422-03", "to"),
    ("outsider", "GET", f"/v1/units/{U}/traceability?from=2031-01-01&to=2031-04-01", 403,
     "TN-IX-403-03", "unit_id"),
    ("auditor", "GET", f"/v1/shipments/{BIG}/provenance", 422, "TN-IX-422-00", "shipment_id"),
    ("auditor", "GET", f"/v1/claims/{BIG}/provenance", 422, "TN-IX-422-00", "claim_id"),
    ("auditor", "GET", "/v1/shipments/99/provenance", 404, "TN-IX-404-04", "shipment_id"),
    ("auditor", "GET", "/v1/claims/99/provenance", 404, "TN-IX-404-05", "claim_id"),
    ("auditor", "GET", "/v1/shipments/1/provenance?format=pdf", 422, "TN-IX-422-00", "format"),
    ("outsider", "GET", "/v1/claims/1/provenance", 403, "TN-IX-403-03", "claim_id"),
    ("auditor", "GET", f"/v1/product-groups/{BIG}/footprint?from=2031-01-01&to=2031-04-01", 404,
     "TN-IX-404-07", "product_group_id"),
    ("auditor", "GET", "/v1/product-groups/1/footprint?from=2031-01-01&to=2031-04-01"
     "&process_gco2e_per_kg=-1", 422, "TN-IX-422-00", "process_gco2e_per_kg"),
    ("auditor", "GET", "/v1/product-groups/1/footprint?from=2031-04-01&to=2031-01-01", 422,
     "TN-IX-422-03", "to"),
    ("auditor", "GET", f"/v1/product-groups/1/footprint?from=2031-01-01&to=2031-04-01"
     f"&unit_id={BIG}", 404, "TN-IX-404-02", "unit_id"),
    ("auditor", "GET", f"/v1/classes/{BIG}/reduction-check?period_a=2031-Q1&period_b=2031-Q2",
     404, "TN-IX-404-03", "class_id"),
    ("auditor", "GET", f"/v1/classes/{C}/reduction-check?period_a=index:0&period_b=index:40965",
     422, "TN-IX-422-01", "period_b"),
    # A year is a year (issue 26): `2031` asked of a quarterly class names no quarter, and
    # bare digits are never an index.
    ("auditor", "GET", f"/v1/classes/{C}/reduction-check?period_a=2030&period_b=2031", 422,
     "TN-IX-422-01", "period_a"),
    ("auditor", "GET", f"{STATEMENT}&period=244", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"{STATEMENT}&period=index:-1", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"{STATEMENT}&period=index:{BIG}", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"/v1/classes/{C}/audit?period=index:39808", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"/v1/classes/{C}/audit?period={BIG}", 422, "TN-IX-422-01", "period"),
    ("auditor", "GET", f"/v1/classes/{BIG}/audit?period=2031-Q1", 404, "TN-IX-404-03", "class_id"),
    ("auditor", "GET", f"/v1/classes/{C}/audit?period=2031-Q1&format=xml", 422, "TN-IX-422-00",
     "format"),
    ("recycler", "GET", f"/v1/classes/{C}/audit?period=2031-Q1", 403, "TN-IX-403-02", "party_id"),
    ("auditor", "GET", "/v1/nowhere", 404, "TN-IX-404-01", None),
    ("auditor", "POST", "/v1/balances", 405, "TN-IX-405-01", None),
]  # fmt: skip


def _snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        counts = {
            table(m).name: conn.execute(select(func.count()).select_from(table(m))).scalar_one()
            for m in (*OPERATION_TABLES, ApiKey)
        }
        return {
            "counts": counts,
            "balances": sorted(tuple(r) for r in conn.execute(select(table(Balance)))),
            "cursor": tuple(conn.execute(select(table(Cursor))).one()),
        }


def test_every_hostile_request_is_a_documented_4xx_and_changes_nothing(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    with engine.begin() as conn:
        keys = {n: create_key(conn, p) for n, p in [
            ("recycler", P_RECYCLER), ("outsider", P_OUTSIDER), ("auditor", P_AUDITOR)
        ]}  # fmt: skip
    keys["forged"] = "tnr_forged"
    before = _snapshot(engine)
    client = TestClient(create_app(engine))
    failures = []
    for who, method, url, status, code, field in CASES:
        headers = {"Authorization": f"Bearer {keys[who]}"} if who else {}
        reply = client.request(method, url, headers=headers)
        body = reply.json()
        got = (reply.status_code, body.get("code"), body.get("field"))
        if got != (status, code, field) or set(body) != {"code", "error", "field", "message",
                                                          "args"}:  # fmt: skip
            failures.append((url, got, body))
        elif CODES[code].error != body["error"] or CODES[code].status != status:
            failures.append((url, "row", body))
    assert not failures, failures
    assert _snapshot(engine) == before
    assert client.get("/v1/status", headers={"X-API-Key": keys["auditor"]}).status_code == 200


@pytest.mark.parametrize("ref", [str(U_RECYCLER), "Recycling plant"])
def test_a_unit_is_named_by_id_or_name_and_a_period_by_label(
    world: World, follower: Follower, engine: Engine, ref: str
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_RECYCLER)
    client = TestClient(create_app(engine))
    url = f"/v1/units/{ref}/statement?class_id={C}&period=2031-Q1"
    reply = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert reply.status_code == 200, reply.json()
    body = reply.json()
    assert (body["unit_id"], body["period"], body["period_index"]) == (U_RECYCLER, "2031-Q1", 244)
    assert body["from"] == "2031-01-01T00:00:00Z" and body["model"] == "mass_balance"


def test_each_reference_takes_its_registry_key_on_chain_name_or_id(
    world: World, follower: Follower, engine: Engine
) -> None:
    """Issue 8: units, classes and product groups by registry key, on-chain name or id, all
    the same answer; an unknown name is a 404 naming the field with the kind's error."""
    flakes_to_resin(world)
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_AUDITOR)
    registry = {"units": {"recycling-plant": U}, "classes": {"rpet-flake": C},
                "product_groups": {"pet-flakes": G_FLAKE}}  # fmt: skip
    client = TestClient(create_app(engine, registry))
    auth = {"Authorization": f"Bearer {key}"}
    days = {"from": "2031-01-01", "to": "2031-04-01"}
    kinds = [
        ("/v1/balances", "unit_id", [str(U), "recycling-plant", "Recycling plant"], "TN-IX-404-02"),
        ("/v1/balances", "class_id", [str(C), "rpet-flake", "rPET-flake"], "TN-IX-404-03"),
        ("/v1/product-groups/{ref}/footprint", "product_group_id",
         [str(G_FLAKE), "pet-flakes", "PET flakes"], "TN-IX-404-07"),
    ]  # fmt: skip
    for path, field, refs, unknown in kinds:
        answers = []
        for ref in [*refs, "no-such-thing"]:
            if "{ref}" in path:
                reply = client.get(path.replace("{ref}", ref), params=days, headers=auth)
            else:
                reply = client.get(path, params={field: ref}, headers=auth)
            answers.append((reply.status_code, reply.json()))
        *found, (status, error) = answers
        assert all(s == 200 for s, _ in found), (field, found)
        assert all(body == found[0][1] for _, body in found), field
        assert (status, error["code"], error["field"]) == (404, unknown, field), error
        assert "no-such-thing" in error["message"]


def test_a_wrong_method_names_the_methods_the_path_answers(engine: Engine) -> None:
    """TN-IX-405-01: the API has POST routes, so the message names the path's own methods."""
    client = TestClient(create_app(engine, ledger=lambda: None))  # type: ignore[arg-type,return-value]
    reply = client.post("/v1/balances")
    body = reply.json()
    assert (reply.status_code, body["code"], body["args"]["allowed"]) == (
        405,
        "TN-IX-405-01",
        ["GET"],
    )
    assert body["message"] == "POST /v1/balances: this path answers GET only"
    assert reply.headers["Allow"] == "GET"
    reply = client.get("/v1/reports/verify")
    assert (reply.status_code, reply.json()["args"]["allowed"]) == (405, ["POST"])
    assert "read-only" not in reply.json()["message"]


def test_a_year_label_is_the_year_and_an_index_has_a_syntax_of_its_own(
    world: World, follower: Follower, engine: Engine
) -> None:
    """Issue 26: ``period_a=2026`` was read as period index 2026 (the year 3996); now bare
    digits are always a year label, and an index is only ``index:<n>``."""
    spec = class_spec("Yearly flake", S_PLUS, G_FLAKE, MASS_BALANCE, 12, 1)
    world.send(world.catalog.functions.registerClass(spec), world.cast.admin)
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_AUDITOR)
    client = TestClient(create_app(engine))
    headers = {"Authorization": f"Bearer {key}"}
    check = "/v1/classes/Yearly flake/reduction-check"
    by_year = client.get(f"{check}?period_a=2030&period_b=2031", headers=headers)
    assert by_year.status_code == 200, by_year.text
    periods = by_year.json()["period_a"], by_year.json()["period_b"]
    assert [p["period"] for p in periods] == ["2030", "2031"]
    by_index = client.get(f"{check}?period_a=index:60&period_b=index:61", headers=headers)
    assert [by_index.json()[p]["period"] for p in ("period_a", "period_b")] == ["2030", "2031"]
    quarter = client.get(f"{check}?period_a=2031-Q1&period_b=2031", headers=headers).json()
    assert (quarter["code"], quarter["field"]) == ("TN-IX-422-01", "period_a")
    assert "'2027'" in quarter["message"] and quarter["args"]["index"] == "index:<n>"
    statement = client.get(
        f"/v1/units/{U}/statement?class_id=Yearly flake&period=2031", headers=headers
    ).json()
    assert (statement["period"], statement["period_index"]) == ("2031", 61)
    assert statement["from"] == "2031-01-01T00:00:00Z"


def test_dates_of_every_year_are_iso_8601_with_four_digits(
    world: World, follower: Follower, engine: Engine
) -> None:
    """Issue 26: ``from=0001-01-01`` was answered as ``"1-01-01T00:00:00Z"``."""
    flakes_to_resin(world)
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_AUDITOR)
    client = TestClient(create_app(engine))
    headers = {"Authorization": f"Bearer {key}"}
    for url in (
        f"/v1/units/{U}/traceability?from=0001-01-01&to=9999-12-31",
        f"/v1/product-groups/{G_FLAKE}/footprint?from=0001-01-01&to=9999-12-31",
    ):
        body = client.get(url, headers=headers).json()
        assert (body["from"], body["to"]) == ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z")


#: Hostile uploads to the public declaration check (issue 26): (case, body, status, code).
PDF_CASES: list[tuple[str, bytes, int, str]] = [
    ("empty", b"", 422, "TN-IX-422-05"),
    ("not a PDF", b"GIF89a", 422, "TN-IX-422-05"),
    ("truncated", hostile_pdf.bomb(100_000)[:900], 422, "TN-IX-422-05"),
    ("no verify link", hostile_pdf.many_pages(1), 422, "TN-IX-422-05"),
    *[(name, make(), 422, "TN-IX-422-06") for name, make in hostile_pdf.HOSTILE.items()],
]


def test_every_hostile_pdf_is_a_documented_4xx_never_a_500(engine: Engine) -> None:
    def no_node() -> Any:
        raise AssertionError("a refused document never reaches the chain")

    settings = IndexerSettings(document_rate_per_minute=0)
    failures = []
    with TestClient(create_app(engine, chain=no_node, settings=settings)) as client:
        for case, body, status, code in PDF_CASES:
            reply = client.post("/v1/declarations/check", content=body)
            got = (reply.status_code, reply.json().get("code"), reply.json().get("field"))
            if got != (status, code, "document") or CODES[code].status != status:
                failures.append((case, got, reply.json()))
    assert not failures, failures
