"""A finding names its events by what they are: the shipment, claim, conversion or input
recorded at that ``(block, log)``, with its id, so the audit page can link to it."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.factories import C_FLAKE, U_RESIN, World
from tests.indexer.test_reports import Q1, flakes_to_resin
from tracenet.contracts import period_bounds
from tracenet.indexer import Follower
from tracenet.indexer.api._finding_refs import name_events
from tracenet.indexer.api._reports_class import _finding


def test_the_events_of_a_finding_are_named_with_their_operation_and_id(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    _, end = period_bounds(3, Q1)
    with engine.connect() as conn:
        finding = _finding(conn, "unit does not reconcile", U_RESIN, C_FLAKE, end)
        named = name_events(conn, finding["events"])
        assert name_events(conn, [{"block_number": 10**9, "log_index": 0}]) == [
            {"block_number": 10**9, "log_index": 0}  # nothing recorded there: left as it was
        ]
    # The resin maker's flake credits: received on shipment 1, converted away by conversion 1.
    assert [(e["operation"], e.get("shipment_id"), e.get("conversion_id")) for e in named] == [
        ("shipment", 1, None),
        ("conversion", None, 1),
    ]
    assert all({"block_number", "log_index"} <= set(e) for e in named)
