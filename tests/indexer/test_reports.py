"""Every report on hand-computed cases, including the illustrations of RULES.md; and the API's
access rules (401 without a key, 403 for other parties' commercially sensitive data)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import Engine

from tests import model as m
from tests.factories import (
    C_FLAKE,
    C_GLASS,
    C_RESIN,
    CERT_RECYCLER,
    G_FLAKE,
    G_GLASS,
    G_RESIN,
    P_AUDITOR,
    P_BRAND,
    P_OUTSIDER,
    P_RECYCLER,
    P_RESIN,
    PR_RESIN,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RESIN,
    World,
    at,
    evidence,
)
from tracenet.indexer import Follower, SignatureError
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._export import audit_csv
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.api._reports import statement, traceability
from tracenet.indexer.api._reports_class import footprint, reduction_check, supply_audit
from tracenet.indexer.api._signing import sign_report, verify_report
from tracenet.wallet import LocalSigner

with warnings.catch_warnings():
    # starlette would rather drive its TestClient with httpx2; httpx 0.28 works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Q1, Q2, Q3 = 244, 245, 246  # 2031 quarters as period indexes (months since 1970 // 3)
T = 1_000_000  # one tonne in grams


def flakes_to_resin(world: World) -> int:
    """RULES.md: 10 t flakes recorded, 6 t shipped to the resin maker, 90 % yield → 5.4 t resin;
    then 2 t of resin credits on a 4 t shipment to the brand, which claims 1 t."""
    c = world.cast
    r = world.ok("record_input", c.recycler, C_FLAKE, 10 * T, CERT_RECYCLER, evidence())
    flake = world.events(r, "InputRecorded")[0]["tokenId"]
    world.ok("ship", c.recycler, U_RESIN, G_FLAKE, 6 * T, evidence(), [(flake, 6 * T)])
    r = world.ok("convert", c.resin, PR_RESIN, 0, [(flake, 6 * T)])
    resin = world.events(r, "Converted")[0]["outputTokenId"]
    world.ok("ship", c.resin, U_BRAND, G_RESIN, 4 * T, evidence(), [(resin, 2 * T)])
    world.ok("claim", c.brand, [(resin, T)], "Acme Bottles")
    return resin


def test_statements_of_the_flake_to_resin_illustration(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    with engine.connect() as conn:
        rec = statement(conn, unit_id=U_RECYCLER, class_id=C_FLAKE, period=Q1)
        res_in = statement(conn, unit_id=U_RESIN, class_id=C_FLAKE, period=Q1)
        res_out = statement(conn, unit_id=U_RESIN, class_id=C_RESIN, period=Q1)
    assert (
        rec["opening_g"],
        rec["inputs"]["sustainable_g"],
        rec["shipped_g"],
        rec["closing_g"],
    ) == (
        0,
        10 * T,
        6 * T,
        4 * T,
    )
    assert rec["shipped_per_customer"] == [{"unit_id": U_RESIN, "credits_g": 6 * T}]
    assert rec["balanced"] and rec["carried_forward_g"] == 4 * T and rec["model"] == "mass_balance"
    assert (res_in["received_g"], res_in["converted_out_g"], res_in["closing_g"]) == (
        6 * T,
        6 * T,
        0,
    )
    assert (res_out["converted_in_g"], res_out["shipped_g"], res_out["closing_g"]) == (
        5_400_000,
        2 * T,
        3_400_000,
    )


def test_provenance_of_the_claim_reaches_the_certified_input(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    app = create_app(engine)
    with engine.connect() as conn:
        prov = app.state.provenance.provenance(conn, "claim", 1)
    assert prov["target"]["amount_g"] == T
    assert "pro-rata" in prov["allocation_method"]
    assert "indexer." not in prov["allocation_method"]  # a buyer reads it: no module names
    [origin] = prov["origins"]
    assert origin["certificate_number"] == "ISCC-PLUS-REC-001"
    assert (origin["amount_g"], origin["input_amount_g"]) == (T, 1_111_111)  # 1 t of resin at 90 %
    kinds = [n["kind"] for n in prov["nodes"]]
    assert kinds == ["input", "shipment", "conversion", "shipment", "claim"]
    assert prov["depth"] == 4
    conversion = next(n for n in prov["nodes"] if n["kind"] == "conversion")
    assert conversion["yield_bps"] == 9_000 and conversion["factor_evidence_hash"].startswith("0x")


def test_traceability_per_customer_and_the_glass_cap(
    world: World, follower: Follower, engine: Engine
) -> None:
    """R10, and RULES.md: 20 t of glass under a 35 % cap carries at most 7 t of credits."""
    flakes_to_resin(world)
    c = world.cast
    r = world.ok("record_input", c.recycler, C_GLASS, 30 * T, CERT_RECYCLER, evidence())
    glass = world.events(r, "InputRecorded")[0]["tokenId"]
    world.rejects(
        "CapExceeded",
        "ship",
        c.recycler,
        U_OUTSIDER,
        G_GLASS,
        20 * T,
        evidence(),
        [(glass, 7 * T + 1)],
    )
    world.ok("ship", c.recycler, U_OUTSIDER, G_GLASS, 20 * T, evidence(), [(glass, 7 * T)])
    follower.catch_up()
    with engine.connect() as conn:
        rec = traceability(conn, unit_id=U_RECYCLER, start=at(2031, 1, 1, 0), end=at(2031, 4, 1, 0))
        res = traceability(conn, unit_id=U_RESIN, start=at(2031, 1, 1, 0), end=at(2031, 4, 1, 0))
    resin_row, outsider_row = rec["customers"]
    assert (resin_row["customer_unit_id"], resin_row["physical_g"], resin_row["sustainable_g"]) == (
        U_RESIN,
        6 * T,
        6 * T,
    )
    assert resin_row["allocated_bps"] == 10_000 and resin_row["conventional_g"] == 0
    assert outsider_row["physical_g"] == 20 * T and outsider_row["sustainable_g"] == 7 * T
    assert outsider_row["conventional_g"] == 13 * T and outsider_row["allocated_bps"] == 3_500
    assert outsider_row["material_types"] == [{"class_id": C_GLASS, "name": "Recycled cullet"}]
    [brand] = res["customers"]
    assert (brand["physical_g"], brand["sustainable_g"], brand["conventional_g"]) == (
        4 * T,
        2 * T,
        2 * T,
    )
    assert brand["allocated_bps"] == 5_000 and brand["material_types"][0]["name"] == "rPET-resin"


def test_q1_credits_lapse_on_the_first_day_of_q3(
    world: World, follower: Follower, engine: Engine
) -> None:
    """RULES.md: quarterly periods, window of two: Q1 credits serve Q1 and Q2, lapse in Q3."""
    c = world.cast
    r = world.ok("record_input", c.recycler, C_FLAKE, 3 * T, CERT_RECYCLER, evidence())
    flake = world.events(r, "InputRecorded")[0]["tokenId"]
    world.travel(at(2031, 6, 30, 23))
    world.rejects("CreditsNotLapsed", "lapse", c.stranger, U_RECYCLER, [flake])
    world.travel(at(2031, 7, 1, 0))
    world.ok("lapse", c.stranger, U_RECYCLER, [flake])
    follower.catch_up()
    with engine.connect() as conn:
        q1 = statement(conn, unit_id=U_RECYCLER, class_id=C_FLAKE, period=Q1)
        q2 = statement(conn, unit_id=U_RECYCLER, class_id=C_FLAKE, period=Q2)
        q3 = statement(conn, unit_id=U_RECYCLER, class_id=C_FLAKE, period=Q3)
    assert (q1["closing_g"], q1["carried_forward_g"], q1["lapsing_at_period_end_g"]) == (
        3 * T,
        3 * T,
        0,
    )
    assert (q2["opening_g"], q2["carried_forward_g"], q2["lapsing_at_period_end_g"]) == (
        3 * T,
        0,
        3 * T,
    )
    assert (q3["opening_g"], q3["lapsed_g"], q3["closing_g"], q3["balanced"]) == (
        3 * T,
        3 * T,
        0,
        True,
    )


def test_the_footprint_illustration(world: World, follower: Follower, engine: Engine) -> None:
    """RULES.md: 1 t at 1.0 + 1 t conventional at 3.0, process +0.5 → average 2.5, A 1.5, B 3.5."""
    c = world.cast
    world.ok("record_input", c.recycler, C_FLAKE, T, CERT_RECYCLER, evidence())
    world.ok("record_conventional", c.recycler, G_FLAKE, T, evidence())
    follower.catch_up()
    with engine.connect() as conn:
        fp = footprint(
            conn,
            product_group_id=G_FLAKE,
            start=at(2031, 1, 1, 0),
            end=at(2031, 4, 1, 0),
            unit_id=U_RECYCLER,
            process_gco2e_per_kg=500,
        )
    assert fp["weighted_average_gco2e_per_kg"] == 2_500  # 2.5 kgCO2e/kg
    assert fp["lower_carbon"] == {"quantity_g": T, "footprint_gco2e_per_kg": 1_500}
    assert fp["higher_carbon"] == {"quantity_g": T, "footprint_gco2e_per_kg": 3_500}
    assert fp["adds_up"] and fp["emissions"]["total_mgco2e"] == 5_000_000_000


def test_a_reduction_claim_needs_more_sustainable_input_not_a_higher_share(
    world: World, follower: Follower, engine: Engine
) -> None:
    c = world.cast
    world.ok("record_input", c.recycler, C_FLAKE, T, CERT_RECYCLER, evidence())
    world.ok("record_conventional", c.recycler, G_FLAKE, T, evidence())  # Q1: 50 %
    world.travel(at(2031, 4, 2))
    world.ok("record_input", c.recycler, C_FLAKE, 800_000, CERT_RECYCLER, evidence())
    world.ok("record_conventional", c.recycler, G_FLAKE, 200_000, evidence())  # Q2: 80 %
    world.travel(at(2031, 7, 2))
    world.ok("record_input", c.recycler, C_FLAKE, 2 * T, CERT_RECYCLER, evidence())  # Q3: 100 %
    follower.catch_up()
    with engine.connect() as conn:
        share_only = reduction_check(conn, class_id=C_FLAKE, period_a=Q1, period_b=Q2)
        grown = reduction_check(conn, class_id=C_FLAKE, period_a=Q1, period_b=Q3)
    assert (share_only["period_a"]["share_bps"], share_only["period_b"]["share_bps"]) == (
        5_000,
        8_000,
    )
    assert not share_only["valid"] and share_only["reason"].startswith("share grew")
    assert grown["valid"] and grown["period_b"]["sustainable_g"] == 2 * T


def test_supply_audit_reconciles_flags_stock_deviations_and_is_signed(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    c = world.cast
    world.travel(at(2031, 4, 2))
    # Book stock 4 t, declared 3.9 t: a 2.5 % deviation (> 0.5 %), the excess lapses (stock cap).
    world.ok("close_period", c.recycler, C_FLAKE, 3_900_000)
    follower.catch_up()
    with engine.connect() as conn:
        audit = supply_audit(conn, class_id=C_FLAKE, period=Q2)
    total = audit["total"]
    assert (total["created_g"], total["converted_out_g"], total["lapsed_g"], total["held_g"]) == (
        10 * T,
        6 * T,
        100_000,
        3_900_000,
    )
    assert total["conversion_loss_g"] == 600_000 and audit["reconciles"]
    [finding] = audit["findings"]
    assert finding["kind"] == "stock deviation above 0.5 %" and finding["deviation_bps"] == 250
    csv_text = audit_csv(audit)
    assert csv_text.splitlines()[0].endswith(audit["as_of"]["block_hash"])
    assert f"{U_RECYCLER},10000000,0,0,6000000,0,100000,0,0,3900000,True" in csv_text
    auditor = LocalSigner(Account.create())
    signed = sign_report(audit, auditor)
    assert verify_report(signed) == auditor.address
    signed["report"]["total"]["held_g"] += 1
    with pytest.raises(SignatureError):
        verify_report(signed)


@pytest.fixture
def api(world: World, follower: Follower, engine: Engine) -> tuple[TestClient, dict[str, str]]:
    flakes_to_resin(world)
    follower.catch_up()
    with engine.begin() as conn:
        keys = {
            name: create_key(conn, party)
            for name, party in [
                ("recycler", P_RECYCLER),
                ("resin", P_RESIN),
                ("brand", P_BRAND),
                ("outsider", P_OUTSIDER),
                ("auditor", P_AUDITOR),
            ]
        }
    return TestClient(create_app(engine)), keys


def _get(api: tuple[TestClient, dict[str, str]], who: str | None, url: str) -> Any:
    client, keys = api
    return client.get(url, headers={"X-API-Key": keys[who]} if who else {})


def test_api_enforces_read_keys_and_party_visibility(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    statement_url = f"/v1/units/{U_RECYCLER}/statement?class_id={C_FLAKE}&period=index:{Q1}"
    assert _get(api, None, statement_url).status_code == 401
    assert _get(api, "outsider", statement_url).status_code == 403
    assert _get(api, "outsider", statement_url).json()["code"] == "TN-IX-403-01"
    assert _get(api, "recycler", statement_url).json()["closing_g"] == 4 * T
    assert _get(api, "auditor", statement_url).status_code == 200
    assert (
        _get(api, "recycler", f"/v1/units/{U_RECYCLER}/statement?class_id=1&day=2031-02-10").json()[
            "period_index"
        ]
        == Q1
    )

    trace = f"/v1/units/{U_RESIN}/traceability?from=2031-01-01&to=2031-04-01"
    assert _get(api, "outsider", trace).status_code == 403
    brand_view = _get(api, "brand", trace).json()["customers"]
    assert [row["customer_unit_id"] for row in brand_view] == [U_BRAND]

    prov = "/v1/shipments/1/provenance"
    assert _get(api, "brand", prov).status_code == 403
    assert _get(api, "resin", prov).json()["origins"][0]["amount_g"] == 6 * T
    svg = _get(api, "recycler", prov + "?format=svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    assert _get(api, "brand", "/v1/claims/1/provenance").json()["target"]["amount_g"] == T
    assert _get(api, "auditor", "/v1/claims/9/provenance").status_code == 404

    audit = f"/v1/classes/{C_FLAKE}/audit?period=index:{Q1}"
    assert _get(api, "recycler", audit).status_code == 403
    assert _get(api, "auditor", audit).json()["reconciles"] is True
    assert _get(api, "auditor", audit + "&format=csv").text.startswith("# class_id")

    own = _get(api, "recycler", "/v1/balances").json()["balances"]
    assert {b["unit_id"] for b in own} == {U_RECYCLER}
    assert _get(api, "recycler", f"/v1/balances?unit_id={U_BRAND}").status_code == 403
    assert len({b["unit_id"] for b in _get(api, "auditor", "/v1/balances").json()["balances"]}) == 3
    assert "/v1/classes/{class_id}/audit" in api[0].get("/openapi.json").json()["paths"]
    _ = m


def test_provenance_never_waits_for_the_lineage_book(
    world: World, follower: Follower, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the book is built after a start, a request helps for a moment and answers 503
    LineageWarming (retryable) if the book has not reached its target: here one event per
    request and no background build, so the claim comes after a 503 per earlier ledger event."""
    from sqlalchemy import select

    from tracenet.indexer.lineage import _provenance
    from tracenet.indexer.mirror._registry import table
    from tracenet.indexer.mirror._tables_ops import EventRow

    flakes_to_resin(world)
    follower.catch_up()
    ev = table(EventRow)
    with engine.connect() as conn:
        names = conn.execute(
            select(ev.c.name)
            .where(ev.c.contract == "Ledger", ev.c.name.in_(_provenance._LEDGER))
            .order_by(ev.c.block_number, ev.c.log_index)
        ).scalars()
        earlier = list(names).index("Claimed")
    monkeypatch.setattr(_provenance, "_CHUNK", 1)
    monkeypatch.setattr(_provenance, "_REQUEST_BUDGET_S", 0.0)
    monkeypatch.setattr(_provenance.ProvenanceCache, "start", lambda self, engine: None)
    with engine.begin() as conn:
        key = create_key(conn, P_BRAND)
    client = TestClient(create_app(engine))
    answers = []
    for _ in range(20):
        answers.append(client.get("/v1/claims/1/provenance", headers={"X-API-Key": key}))
        if answers[-1].status_code != 503:
            break
    *warming, done = answers
    assert len(warming) == earlier >= 4  # input, shipment, conversion, shipment… then the claim
    for r in warming:
        assert (r.json()["code"], r.json()["error"]) == ("TN-IX-503-04", "LineageWarming")
        assert r.headers["Retry-After"] == "1"
    assert done.status_code == 200 and done.json()["target"]["amount_g"] == T


def test_stopping_ends_a_lineage_build_that_never_catches_up(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's shutdown stops the background build (whose connection must go back to the
    engine's pool before the engine is disposed), even one that would never finish."""
    import threading

    from tracenet.indexer.lineage import _provenance

    entered = threading.Event()

    def never_caught_up(self: object, conn: object, limit: int | None = None) -> bool:
        entered.set()
        return False

    monkeypatch.setattr(_provenance.ProvenanceCache, "_refresh", never_caught_up)
    cache = _provenance.ProvenanceCache()
    cache.start(engine)
    assert entered.wait(30) and cache.building
    stopper = threading.Thread(target=cache.stop)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive() and not cache.building and not cache.ready.is_set()


def test_the_server_builds_the_lineage_book_at_start(
    world: World, follower: Follower, engine: Engine
) -> None:
    from tests.indexer.conftest import wait_until

    flakes_to_resin(world)
    follower.catch_up()
    app = create_app(engine)
    with TestClient(app):
        wait_until(lambda: app.state.provenance._last[0] > 0, timeout=30, what="the warm-up")
        with engine.connect() as conn:
            assert app.state.provenance.lineage(conn, "claim", 1).target.grams == T
    # The server's stop ends the build and returns its connection before the engine goes.
    assert not app.state.provenance.building
