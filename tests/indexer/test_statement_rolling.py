"""R8 (issue 10) in the indexer's statement: a rolling-average class's statement lists the shares
the ledger applied in the period, with the window's totals behind each."""

from __future__ import annotations

from sqlalchemy import Engine

from tests import factories as f
from tracenet.indexer import Follower
from tracenet.indexer.api._reports import statement

T = 1_000_000


def test_the_statement_lists_the_shares_applied(
    world: f.World, follower: Follower, engine: Engine
) -> None:
    f.add_rolling(world)
    c = world.cast
    world.travel(f.at(2031, 2, 1))
    q1 = f.m.period_at(3, world.now())
    tid = f.m.token_id(f.C_ROLL, q1)
    world.ok("record_input", c.recycler, f.C_ROLL, 30 * T, f.CERT_ROLL, f.evidence())
    world.ok("record_conventional", c.recycler, f.G_PELLET, 70 * T, f.evidence())
    world.ok("ship", c.recycler, f.U_BRAND, f.G_PELLET, 10 * T, f.evidence(), [(tid, 3 * T)])
    world.ok("claim_rolling", c.recycler, f.C_ROLL, 2 * T, [(tid, 600_000)], "Acme Crates")
    follower.catch_up()
    with engine.connect() as conn:
        report = statement(conn, unit_id=f.U_RECYCLER, class_id=f.C_ROLL, period=q1)
        flakes = statement(conn, unit_id=f.U_RECYCLER, class_id=f.C_FLAKE, period=q1)
    assert report["attribution"] == "rolling_average"
    assert report["inputs"] == {"sustainable_g": 30 * T, "conventional_g": 70 * T}
    shares = [{k: v for k, v in s.items() if k != "event"} for s in report["rolling_shares"]]
    window = {"share_bps": 3_000, "window_sustainable_g": 30 * T, "window_total_g": 100 * T}
    assert shares == [
        {
            "operation": "shipment",
            "operation_id": 1,
            "quantity_g": 10 * T,
            "amount_g": 3 * T,
            **window,
        },
        {
            "operation": "claim",
            "operation_id": 1,
            "quantity_g": 2 * T,
            "amount_g": 600_000,
            **window,
        },
    ]
    assert report["balanced"] and report["closing_g"] == 30 * T - 3 * T - 600_000
    assert flakes["rolling_shares"] == []
