"""Issue 19: a shipment's acceptance, from the mirror's ``shipment_transit`` rows.

``acceptances(conn, ids)`` gives, per shipment that awaited acceptance, its state (by
``contracts.TransitState`` name), the recipient's deadline, when it left transit and why (a
rejection's reason), and one sentence for people (``text``): "awaiting acceptance until …",
"accepted on …", "rejected on …: reason", "recalled on …", "settled on … after the window:
accepted" / "… returned to the sender". A shipment that needed no acceptance has no entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables_ops import TransitRow
from tracenet.kit import iso_time

__all__ = ["acceptance_text", "acceptances", "pending_ids"]


def acceptance_text(state: str, deadline: int, since: int, reason: str) -> str:
    """The state in people's words (dates as ISO-8601 days)."""
    day = iso_time(since)[:10]
    return {
        "pending": f"awaiting acceptance until {iso_time(deadline)}",
        "accepted": f"accepted on {day}",
        "rejected": f"rejected on {day}: {reason}",
        "recalled": f"recalled by the sender on {day}",
        "settled_accepted": f"settled on {day} after the acceptance window: accepted",
        "settled_returned": f"settled on {day} after the acceptance window: returned to the sender",
    }[state]


def acceptances(conn: Connection, shipment_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The acceptance of each shipment of ``shipment_ids`` that awaited one (snake_case keys)."""
    ids = sorted(set(shipment_ids))
    if not ids:
        return {}
    t = table(TransitRow)
    out: dict[int, dict[str, Any]] = {}
    for r in conn.execute(
        select(t).where(t.c.shipment_id.in_(ids)).order_by(t.c.block_number, t.c.log_index)
    ):
        sid = int(r.shipment_id)
        if r.state == "pending":
            out[sid] = {
                "state": "pending", "deadline": iso_time(r.deadline), "settle": r.settle,
                "since": iso_time(r.timestamp), "reason": None, "unit_id": r.unit_id,
                "_deadline": int(r.deadline), "_since": int(r.timestamp),
            }  # fmt: skip
            continue
        entry = out.setdefault(sid, {"deadline": None, "settle": None, "_deadline": 0})
        entry.update(
            state=r.state, since=iso_time(r.timestamp), unit_id=r.unit_id,
            reason=r.reason or None, _since=int(r.timestamp),
        )  # fmt: skip
    for entry in out.values():
        entry["text"] = acceptance_text(
            entry["state"], entry.pop("_deadline"), entry.pop("_since"), entry["reason"] or ""
        )
    return out


def pending_ids(conn: Connection) -> list[int]:
    """Shipments awaiting acceptance now: opened, not closed."""
    t = table(TransitRow)
    states: dict[int, str] = {}
    for sid, state in conn.execute(
        select(t.c.shipment_id, t.c.state).order_by(t.c.block_number, t.c.log_index)
    ):
        states[int(sid)] = state
    return [sid for sid, state in states.items() if state == "pending"]
