"""Reports on a product group or class: footprints (R11), reduction claims (R12), supply audit
(R13).

Footprints use integer arithmetic: emissions in milligrams CO2e (factor in g/kg × grams), shown
in grams CO2e per kg rounded half up (the unit emission factors go in with); the check that the
allocated footprints add back up is made on the exact milligram totals.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from tracenet.contracts import period_bounds, period_label
from tracenet.indexer.api._finding_refs import name_events
from tracenet.indexer.api._reports import STOCK_TOLERANCE_BPS, _deviation_bps, as_of, class_info
from tracenet.indexer.errors import NotFoundError
from tracenet.indexer.mirror._project import TRANSIT_POOL
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._sqltypes import amount_positive, amount_sum
from tracenet.indexer.mirror._tables import Balance, CreditClass
from tracenet.indexer.mirror._tables_ops import (
    Conversion,
    InputRecord,
    Movement,
    PeriodClose,
    QuantityRecord,
)
from tracenet.kit import iso_time

__all__ = ["footprint", "reduction_check", "supply_audit"]


def _per_kg(milligrams: int, grams: int) -> int:
    """gCO2e per kg = mg / g, rounded half up."""
    return (2 * milligrams + grams) // (2 * grams) if grams else 0


def _sustainable_input(
    conn: Connection, class_ids: list[int], unit_id: int | None, start: int, end: int
) -> dict[int, int]:
    ir, cv = table(InputRecord), table(Conversion)
    out: dict[int, int] = defaultdict(int)
    q1 = select(ir.c.class_id, amount_sum(ir.c.amount)).where(
        ir.c.class_id.in_(class_ids), ir.c.timestamp >= start, ir.c.timestamp < end
    )
    q2 = select(cv.c.output_class_id, amount_sum(cv.c.output_amount)).where(
        cv.c.output_class_id.in_(class_ids), cv.c.timestamp >= start, cv.c.timestamp < end
    )
    if unit_id is not None:
        q1, q2 = q1.where(ir.c.unit_id == unit_id), q2.where(cv.c.unit_id == unit_id)
    for k, n in conn.execute(q1.group_by(ir.c.class_id)):
        out[int(k)] += int(n)
    for k, n in conn.execute(q2.group_by(cv.c.output_class_id)):
        out[int(k)] += int(n)
    return out


def footprint(
    conn: Connection,
    *,
    product_group_id: int,
    start: int,
    end: int,
    unit_id: int | None = None,
    process_gco2e_per_kg: int = 0,
) -> dict[str, Any]:
    """R11: lower- and higher-carbon footprints and the unallocated weighted average."""
    classes = conn.execute(
        select(table(CreditClass))
        .where(table(CreditClass).c.product_group_id == product_group_id)
        .order_by(table(CreditClass).c.id)
    ).all()
    if not classes:
        raise NotFoundError(
            f"no class in product group {product_group_id}",
            field="product_group_id",
            error="ProductGroupUnknown",
        )
    sustainable = _sustainable_input(conn, [c.id for c in classes], unit_id, start, end)
    q = table(QuantityRecord)
    query = select(func.coalesce(amount_sum(q.c.quantity), 0)).where(
        q.c.kind == "conventional",
        q.c.product_group_id == product_group_id,
        q.c.timestamp >= start,
        q.c.timestamp < end,
    )
    if unit_id is not None:
        query = query.where(q.c.unit_id == unit_id)
    qc = int(conn.execute(query).scalar_one())
    qs = sum(sustainable.values())
    conventional_factor = classes[0].conventional_factor
    s_mg = sum(
        next(c.sustainable_factor for c in classes if c.id == k) * n for k, n in sustainable.items()
    )
    c_mg = conventional_factor * qc
    p = process_gco2e_per_kg
    total_mg = s_mg + c_mg + p * (qs + qc)
    a_mg, b_mg = s_mg + p * qs, c_mg + p * qc
    return {
        "product_group_id": product_group_id,
        "unit_id": unit_id,
        "from": iso_time(start),
        "to": iso_time(end),
        "process_gco2e_per_kg": p,
        "sustainable_input_g": qs,
        "conventional_input_g": qc,
        "weighted_average_gco2e_per_kg": _per_kg(total_mg, qs + qc),
        "lower_carbon": {"quantity_g": qs, "footprint_gco2e_per_kg": _per_kg(a_mg, qs)},
        "higher_carbon": {"quantity_g": qc, "footprint_gco2e_per_kg": _per_kg(b_mg, qc)},
        "emissions": {
            "total_mgco2e": total_mg,
            "lower_carbon_mgco2e": a_mg,
            "higher_carbon_mgco2e": b_mg,
        },
        "adds_up": a_mg + b_mg == total_mg,
        "method": "all sustainable input allocated to the lower-carbon product (CT Part 2 §2.1)",
    }


def reduction_check(
    conn: Connection, *, class_id: int, period_a: int, period_b: int, unit_id: int | None = None
) -> dict[str, Any]:
    """R12: a reduction claim from period A to B holds only if sustainable input grew."""
    info = class_info(conn, class_id)
    out: dict[str, dict[str, Any]] = {}
    for label, period in (("a", period_a), ("b", period_b)):
        start, end = period_bounds(info.period_months, period)
        qs = _sustainable_input(conn, [class_id], unit_id, start, end).get(class_id, 0)
        q = table(QuantityRecord)
        query = select(func.coalesce(amount_sum(q.c.quantity), 0)).where(
            q.c.kind == "conventional",
            q.c.product_group_id == info.product_group_id,
            q.c.timestamp >= start,
            q.c.timestamp < end,
        )
        if unit_id is not None:
            query = query.where(q.c.unit_id == unit_id)
        qc = int(conn.execute(query).scalar_one())
        out[label] = {
            "period": period_label(info.period_months, period),
            "period_index": period,
            "sustainable_g": qs,
            "conventional_g": qc,
            "share_bps": qs * 10_000 // (qs + qc) if qs + qc else 0,
        }
    grew = out["b"]["sustainable_g"] > out["a"]["sustainable_g"]
    share_grew = out["b"]["share_bps"] > out["a"]["share_bps"]
    reason = (
        "sustainable input grew"
        if grew
        else "share grew but sustainable input did not"
        if share_grew
        else "sustainable input did not grow"
    )
    return {
        "class_id": class_id,
        "unit_id": unit_id,
        "period_a": out["a"],
        "period_b": out["b"],
        "valid": grew,
        "reason": reason,
    }


#: The supply audit's figures, per unit and in total (grams).
_FIGURES = (
    "created_g", "converted_in_g", "received_g", "sent_g", "claimed_g", "lapsed_g",
    "converted_out_g", "conversion_loss_g", "held_g", "returned_g",
)  # fmt: skip
#: No block bound: everything mirrored.
_LAST = 2**63 - 1


def supply_audit(
    conn: Connection, *, class_id: int, period: int, block: int | None = None
) -> dict[str, Any]:
    """R13: created = held + in transit + claimed + lapsed + converted out (conversion losses),
    per unit and in total, over everything up to the end of ``period``; stock deviations above
    0.5 % flagged. Credits in transit (issue 19: shipped, awaiting the recipient's acceptance)
    are no unit's: the total's ``in_transit_g`` column; a unit's ``returned_g`` is what came back
    to it (rejected, recalled or settled as returned).
    With ``block``, only what the chain held up to that block (a signed report's ``as_of``)."""
    upto = _LAST if block is None else block
    info = class_info(conn, class_id)
    start, end = period_bounds(info.period_months, period)
    mv = table(Movement)
    positive = amount_positive(mv.c.amount)
    rows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit, kind, sign_in, n in conn.execute(
        select(mv.c.unit_id, mv.c.kind, positive, amount_sum(mv.c.amount))
        .where(mv.c.class_id == class_id, mv.c.timestamp < end, mv.c.block_number <= upto)
        .group_by(mv.c.unit_id, mv.c.kind, positive)
    ):
        rows[int(unit)][f"{kind}{'In' if sign_in else 'Out'}"] += abs(int(n))
    ir, cv = table(InputRecord), table(Conversion)
    created = {
        int(u): int(n)
        for u, n in conn.execute(
            select(ir.c.unit_id, amount_sum(ir.c.amount))
            .where(ir.c.class_id == class_id, ir.c.timestamp < end, ir.c.block_number <= upto)
            .group_by(ir.c.unit_id)
        )
    }
    losses = {
        int(u): int(i - o)
        for u, i, o in conn.execute(
            select(cv.c.unit_id, amount_sum(cv.c.input_amount), amount_sum(cv.c.output_amount))
            .where(cv.c.input_class_id == class_id, cv.c.timestamp < end, cv.c.block_number <= upto)
            .group_by(cv.c.unit_id)
        )
    }
    held_now = {
        int(u): int(n)
        for u, n in conn.execute(
            select(table(Balance).c.unit_id, amount_sum(table(Balance).c.amount))
            .where(table(Balance).c.class_id == class_id)
            .group_by(table(Balance).c.unit_id)
        )
    }
    pool = rows.pop(TRANSIT_POOL, {})
    in_transit = pool.get("transitIn", 0) - pool.get("transitOut", 0)
    held_now.pop(TRANSIT_POOL, None)
    units, findings = [], []
    total: dict[str, int] = dict.fromkeys(_FIGURES, 0)
    for unit in sorted(set(rows) | set(created)):
        r = rows[unit]
        entry = {
            "unit_id": unit,
            "created_g": created.get(unit, 0),
            "converted_in_g": r["convertIn"],
            "received_g": r["shipIn"] + r["inventoryIn"] + r["certificatesIn"],
            "sent_g": r["shipOut"] + r["inventoryOut"] + r["certificatesOut"],
            "claimed_g": r["claimOut"],
            "lapsed_g": r["lapseOut"],
            "converted_out_g": r["convertOut"],
            "conversion_loss_g": losses.get(unit, 0),
            "returned_g": r["returnedIn"],
            "held_g": sum(
                r[k]
                for k in (
                    "inputIn",
                    "shipIn",
                    "inventoryIn",
                    "certificatesIn",
                    "convertIn",
                    "returnedIn",
                )
            )
            - sum(
                r[k]
                for k in (
                    "shipOut",
                    "inventoryOut",
                    "certificatesOut",
                    "convertOut",
                    "claimOut",
                    "lapseOut",
                )
            ),
        }
        entry["reconciles"] = (
            entry["created_g"] + entry["converted_in_g"] + entry["received_g"] + entry["returned_g"]
        ) == (
            entry["held_g"]
            + entry["claimed_g"]
            + entry["lapsed_g"]
            + entry["converted_out_g"]
            + entry["sent_g"]
        )
        if not entry["reconciles"]:
            findings.append(_finding(conn, "unit does not reconcile", unit, class_id, end, upto))
        for k, v in entry.items():
            if k in _FIGURES:
                total[k] += int(v)
        units.append(entry)
    total["in_transit_g"] = in_transit
    total_ok = (
        total["created_g"] + total["converted_in_g"]
        == total["held_g"]
        + in_transit
        + total["claimed_g"]
        + total["lapsed_g"]
        + total["converted_out_g"]
        and total["sent_g"] == total["received_g"] + total["returned_g"] + in_transit
    )
    if not total_ok:
        findings.append({"kind": "total does not reconcile", "unit_id": None, "events": []})
    pc = table(PeriodClose)
    for pcr in conn.execute(
        select(pc)
        .where(pc.c.class_id == class_id, pc.c.period <= period, pc.c.block_number <= upto)
        .order_by(pc.c.block_number, pc.c.log_index)
    ):
        bps = _deviation_bps(pcr.book_stock, pcr.physical_stock)
        if bps > STOCK_TOLERANCE_BPS:
            findings.append(
                {
                    "kind": "stock deviation above 0.5 %",
                    "unit_id": pcr.unit_id,
                    "period": period_label(info.period_months, pcr.period),
                    "period_index": pcr.period,
                    "book_stock_g": pcr.book_stock,
                    "physical_stock_g": pcr.physical_stock,
                    "deviation_bps": bps,
                    "events": [{"block_number": pcr.block_number, "log_index": pcr.log_index}],
                }
            )
    findings = [{**f, "events": name_events(conn, f["events"])} for f in findings]
    return {
        "report": "supply audit",
        "class_id": class_id,
        "class_name": info.name,
        "period": period_label(info.period_months, period),
        "period_index": period,
        "from": iso_time(start),
        "to": iso_time(end),
        "as_of": as_of(conn),
        "units": units,
        "total": dict(total),
        "reconciles": total_ok and all(u["reconciles"] for u in units),
        "findings": findings,
        "held_at_checkpoint": [{"unit_id": u, "held_g": n} for u, n in sorted(held_now.items())],
    }


def _finding(
    conn: Connection, kind: str, unit: int, class_id: int, end: int, upto: int = 2**63 - 1
) -> dict[str, Any]:
    mv = table(Movement)
    events = conn.execute(
        select(mv.c.block_number, mv.c.log_index)
        .where(
            mv.c.unit_id == unit,
            mv.c.class_id == class_id,
            mv.c.timestamp < end,
            mv.c.block_number <= upto,
        )
        .distinct()
        .order_by(mv.c.block_number, mv.c.log_index)
    ).all()
    return {
        "kind": kind,
        "unit_id": unit,
        "events": [{"block_number": b, "log_index": i} for b, i in events],
    }
