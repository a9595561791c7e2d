"""Reports on one unit: balances, the mass-balance statement of a period, per-customer
traceability (R10). Functions take a SQLAlchemy connection and return JSON-ready dicts; every
quantity is an integer in grams, every share in basis points (rounded down)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal_column, select

from tracenet.contracts import Attribution, Model, period_bounds, period_label, token_id
from tracenet.indexer.errors import MirrorNotReadyError, NotFoundError
from tracenet.indexer.mirror._project import DAY
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._sqltypes import amount_positive, amount_sum
from tracenet.indexer.mirror._tables import Balance, CreditClass, Cursor, Party, Unit
from tracenet.indexer.mirror._tables_ops import (
    DailyFlow,
    EventRow,
    Movement,
    PeriodClose,
    QuantityRecord,
    Shipment,
)
from tracenet.kit import iso_time

__all__ = [
    "as_of", "balances", "class_info", "mirror_stop", "statement", "traceability", "unit_party",
]  # fmt: skip

#: R4: a book stock deviating from the declared physical stock by more than 0.5 % is a finding.
STOCK_TOLERANCE_BPS = 50


def enum_name(enum: type[Model] | type[Attribution], value: int) -> str:
    """An enumeration by name (``mass_balance``, ``credit``); an unknown code as its digits."""
    try:
        return enum(value).name
    except ValueError:
        return str(value)


def as_of(conn: Connection) -> dict[str, Any]:
    """The block a report is computed at."""
    cur = conn.execute(select(table(Cursor))).first()
    if cur is None:
        raise MirrorNotReadyError("the mirror holds no block yet: its follower has not started")
    return {
        "chain_id": cur.chain_id,
        "block_number": cur.block_number,
        "block_hash": cur.block_hash,
    }


def mirror_stop(conn: Connection) -> dict[str, Any] | None:
    """Why the follower stopped (``Follower.step`` records it on the cursor), or None."""
    cur = table(Cursor)
    row = conn.execute(
        select(
            cur.c.stopped_code,
            cur.c.stopped_error,
            cur.c.stopped_block,
            cur.c.stopped_message,
            cur.c.stopped_at,
        )
    ).first()
    if row is None or row.stopped_code is None:
        return None
    return {
        "code": row.stopped_code,
        "error": row.stopped_error or "",
        "block": row.stopped_block,
        "message": row.stopped_message or "",
        "at": iso_time(row.stopped_at) if row.stopped_at is not None else None,
    }


def unit_party(conn: Connection, unit_id: int) -> int:
    party = conn.execute(select(table(Unit).c.party_id).where(table(Unit).c.id == unit_id)).scalar()
    if party is None:
        raise NotFoundError(f"no unit {unit_id}", field="unit_id")
    return int(party)


def class_info(conn: Connection, class_id: int) -> Any:
    row = conn.execute(
        select(table(CreditClass)).where(table(CreditClass).c.id == class_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no class {class_id}", field="class_id", error="ClassUnknown")
    return row


def balances(
    conn: Connection, *, units: list[int] | None, class_id: int | None
) -> list[dict[str, Any]]:
    b = table(Balance)
    query = (
        select(b).where(b.c.amount != 0).order_by(b.c.unit_id, b.c.class_id, b.c.vintage, b.c.batch)
    )
    if units is not None:
        query = query.where(b.c.unit_id.in_(units))
    if class_id is not None:
        query = query.where(b.c.class_id == class_id)
    c = table(CreditClass)
    months = {int(i): int(m) for i, m in conn.execute(select(c.c.id, c.c.period_months))}
    return [
        {
            "unit_id": r.unit_id,
            "class_id": r.class_id,
            "vintage": period_label(months[r.class_id], r.vintage),
            "vintage_index": r.vintage,
            "batch": r.batch,
            "token_id": str(token_id(r.class_id, r.vintage, r.batch)),
            "amount_g": r.amount,
        }
        for r in conn.execute(query)
    ]


def statement(conn: Connection, *, unit_id: int, class_id: int, period: int) -> dict[str, Any]:
    """The mass-balance statement of a unit for one class and period (R1, R4, R9)."""
    unit_party(conn, unit_id)
    info = class_info(conn, class_id)
    start, end = period_bounds(info.period_months, period)
    # One scan of the unit's daily flows of the class up to the period's end (periods start at
    # midnight UTC), or of its movements, grouped finely enough for every figure of the statement.
    flows: dict[str, int] = defaultdict(int)
    shipped_to: dict[int, int] = defaultdict(int)
    closing_by_vintage: dict[int, int] = defaultdict(int)
    opening = 0
    if start % DAY == 0 and end % DAY == 0:
        df = table(DailyFlow)
        before = df.c.day < literal_column(str(int(start) // DAY))
        keys: list[ColumnElement[Any]] = [
            df.c.kind,
            df.c.inflow,
            before,
            df.c.vintage,
            df.c.counter_unit_id,
        ]
        query = (
            select(*keys, amount_sum(df.c.amount))
            .where(df.c.unit_id == unit_id, df.c.class_id == class_id, df.c.day < end // DAY)
            .group_by(*keys)
        )
    else:
        mv = table(Movement)
        positive = amount_positive(mv.c.amount)
        before = mv.c.timestamp < literal_column(str(int(start)))
        keys = [mv.c.kind, positive, before, mv.c.vintage, mv.c.counter_unit_id]
        mine = and_(mv.c.unit_id == unit_id, mv.c.class_id == class_id, mv.c.timestamp < end)
        query = select(*keys, amount_sum(mv.c.amount)).where(mine).group_by(*keys)
    for row in conn.execute(query):
        kind, is_in, is_before, vintage, counter, total = (
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            int(row[5]),
        )
        closing_by_vintage[int(vintage)] += total
        if is_before:
            opening += total
            continue
        flows[f"{kind}{'In' if is_in else 'Out'}"] += abs(total)
        if kind == "ship" and not is_in:
            shipped_to[int(counter)] += -total
    closing = sum(closing_by_vintage.values())
    valid_next = {
        v: n for v, n in closing_by_vintage.items() if v + info.window_periods > period + 1
    }
    q = table(QuantityRecord)
    conventional = conn.execute(
        select(func.coalesce(amount_sum(q.c.quantity), 0)).where(
            q.c.unit_id == unit_id,
            q.c.kind == "conventional",
            q.c.product_group_id == info.product_group_id,
            q.c.timestamp >= start,
            q.c.timestamp < end,
        )
    ).scalar_one()
    pc = table(PeriodClose)
    closes = [
        {
            "book_stock_g": r.book_stock,
            "physical_stock_g": r.physical_stock,
            "lapsed_g": r.lapsed,
            "deviation_bps": _deviation_bps(r.book_stock, r.physical_stock),
            "finding": _deviation_bps(r.book_stock, r.physical_stock) > STOCK_TOLERANCE_BPS,
            "event": {"block_number": r.block_number, "log_index": r.log_index},
        }
        for r in conn.execute(
            select(pc).where(
                pc.c.unit_id == unit_id, pc.c.class_id == class_id, pc.c.period == period
            )
        )
    ]
    inflow = (
        flows["inputIn"]
        + flows["shipIn"]
        + flows["inventoryIn"]
        + flows["certificatesIn"]
        + flows["convertIn"]
        + flows["returnedIn"]
    )
    outflow = (
        flows["shipOut"]
        + flows["inventoryOut"]
        + flows["certificatesOut"]
        + flows["convertOut"]
        + flows["claimOut"]
        + flows["lapseOut"]
    )
    return {
        "unit_id": unit_id,
        "class_id": class_id,
        "class_name": info.name,
        "period": period_label(info.period_months, period),
        "period_index": period,
        "period_months": info.period_months,
        "from": iso_time(start),
        "to": iso_time(end),
        "model": enum_name(Model, info.model),
        "attribution": enum_name(Attribution, info.attribution),
        "opening_g": int(opening),
        "inputs": {"sustainable_g": flows["inputIn"], "conventional_g": int(conventional)},
        "received_g": flows["shipIn"] + flows["inventoryIn"] + flows["certificatesIn"],
        "converted_in_g": flows["convertIn"],
        "converted_out_g": flows["convertOut"],
        "shipped_g": flows["shipOut"],
        # Issue 19: shipped credits that came back (rejected, recalled, settled as returned).
        "returned_g": flows["returnedIn"],
        "shipped_per_customer": [
            {"unit_id": u, "credits_g": n} for u, n in sorted(shipped_to.items())
        ],
        "transferred_out_g": flows["inventoryOut"] + flows["certificatesOut"],
        "claimed_g": flows["claimOut"],
        "lapsed_g": flows["lapseOut"],
        "closing_g": closing,
        "carried_forward_g": sum(valid_next.values()),
        "lapsing_at_period_end_g": closing - sum(valid_next.values()),
        "balanced": int(opening) + inflow - outflow == closing,
        "period_close": closes,
        "rolling_shares": _rolling_shares(conn, unit_id, class_id, start, end)
        if info.attribution == Attribution.rolling_average
        else [],
    }


def _rolling_shares(
    conn: Connection, unit_id: int, class_id: int, start: int, end: int
) -> list[dict[str, Any]]:
    """R8: the rolling-average shares the ledger applied to the unit's shipments and claims of
    the class in the period (``RollingShareApplied``), with the window's totals behind each."""
    ev = table(EventRow)
    rows = conn.execute(
        select(ev.c.block_number, ev.c.log_index, ev.c.args)
        .where(ev.c.name == "RollingShareApplied", ev.c.timestamp >= start, ev.c.timestamp < end)
        .order_by(ev.c.block_number, ev.c.log_index)
    )
    out = []
    for block, index, a in rows:
        if (int(a["unitId"]), int(a["classId"])) != (unit_id, class_id):
            continue
        out.append(
            {
                "operation": "shipment" if int(a["operation"]) == 0 else "claim",
                "operation_id": int(a["operationId"]),
                "share_bps": int(a["shareBps"]),
                "quantity_g": int(a["quantity"]),
                "amount_g": int(a["amount"]),
                "window_sustainable_g": int(a["windowSustainable"]),
                "window_total_g": int(a["windowTotal"]),
                "event": {"block_number": int(block), "log_index": int(index)},
            }
        )
    return out


def _deviation_bps(book: int, physical: int) -> int:
    if book == physical:
        return 0
    base = max(book, 1)
    return abs(book - physical) * 10_000 // base


def traceability(
    conn: Connection, *, unit_id: int, start: int, end: int, customer_party: int | None = None
) -> dict[str, Any]:
    """R10: per customer, the physical, sustainable and conventional quantities shipped, the
    classes (material types) and the allocated share."""
    unit_party(conn, unit_id)
    s, mv, u = table(Shipment), table(Movement), table(Unit)
    query = select(s).where(
        s.c.from_unit_id == unit_id, s.c.timestamp >= start, s.c.timestamp < end
    )
    if customer_party is not None:
        query = query.where(
            s.c.to_unit_id.in_(select(u.c.id).where(u.c.party_id == customer_party))
        )
    per: dict[int, dict[str, Any]] = {}
    for r in conn.execute(query):
        row = per.setdefault(
            r.to_unit_id,
            {
                "customer_unit_id": r.to_unit_id,
                "shipments": 0,
                "physical_g": 0,
                "sustainable_g": 0,
                "classes": set(),
            },
        )
        row["shipments"] += 1
        row["physical_g"] += r.quantity
        row["sustainable_g"] += r.credits
        classes = conn.execute(
            select(mv.c.class_id)
            .where(mv.c.block_number == r.block_number, mv.c.log_index == r.log_index)
            .distinct()
        ).scalars()
        row["classes"].update(int(c) for c in classes)
    names = {r.id: r.name for r in conn.execute(select(table(CreditClass)))}
    parties = {r.id: r.name for r in conn.execute(select(table(Party)))}
    units = {r.id: r.party_id for r in conn.execute(select(table(Unit)))}
    customers = []
    for unit, row in sorted(per.items()):
        kinds = sorted(row.pop("classes"))
        customers.append(
            {
                **row,
                "customer_party_id": units.get(unit),
                "customer_name": parties.get(units.get(unit, 0), ""),
                "conventional_g": row["physical_g"] - row["sustainable_g"],
                "allocated_bps": row["sustainable_g"] * 10_000 // row["physical_g"]
                if row["physical_g"]
                else 0,
                "material_types": [{"class_id": c, "name": names.get(c, "")} for c in kinds],
            }
        )
    return {
        "unit_id": unit_id,
        "from": iso_time(start),
        "to": iso_time(end),
        "customers": customers,
    }
