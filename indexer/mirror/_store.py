"""Writing the mirror: schema, one batch per SQL transaction, rollback to an ancestor block.

A batch's rows, its balance deltas, its registry changes, the window's block hashes and the new
checkpoint are written in one transaction; the checkpoint moves only if it still is where this
writer last saw it (a second indexer on the same database fails instead of double-writing).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from tracenet.indexer.errors import ConcurrentWriterError
from tracenet.indexer.mirror._chain import Header
from tracenet.indexer.mirror._project import DAY, REGISTRY_EVENTS, BalanceKey, Batch, FlowKey
from tracenet.indexer.mirror._registry import apply_registry, rebuild_registry, table
from tracenet.indexer.mirror._sqltypes import amount_add, amount_sum, register_sqlite
from tracenet.indexer.mirror._tables import Balance, Block, Cursor
from tracenet.indexer.mirror._tables_ops import (
    ClaimRow,
    Conversion,
    DailyFlow,
    EventRow,
    InputRecord,
    Lapse,
    Movement,
    PeriodClose,
    QuantityRecord,
    Shipment,
    Transfer,
    TransitRow,
)

__all__ = ["OPERATION_TABLES", "make_engine", "rollback_to", "write_batch"]

#: Every event-keyed table, deleted above the ancestor on a reorg.
OPERATION_TABLES = [
    EventRow,
    InputRecord,
    QuantityRecord,
    Shipment,
    Transfer,
    Conversion,
    ClaimRow,
    Lapse,
    PeriodClose,
    TransitRow,
    Movement,
]
_BY_NAME = {table(m).name: table(m) for m in OPERATION_TABLES}


def make_engine(url: str) -> Engine:
    """An engine for the mirror; SQLite files get WAL, their directory created, and the file
    created (or tightened to) 0600 before SQLite opens it: it holds the read keys' hashes
    (SQLite gives its -wal and -shm files the database file's mode)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_file(Path(path))
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
            register_sqlite(dbapi)

        return engine
    return create_engine(url, pool_pre_ping=True)


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def create_schema(engine: Engine) -> None:
    """Creates or upgrades the mirror's schema (Alembic migrations, ``indexer.mirror._migrate``)."""
    from tracenet.indexer.mirror._migrate import migrate

    migrate(engine)


def _upsert_balances(conn: Connection, deltas: dict[BalanceKey, int]) -> None:
    keys = ("unit_id", "class_id", "vintage", "batch")
    rows = [{**dict(zip(keys, key, strict=True)), "amount": n} for key, n in deltas.items() if n]
    _add_amounts(conn, table(Balance), keys, rows)


def _upsert_flows(conn: Connection, flows: dict[FlowKey, int]) -> None:
    keys = ("unit_id", "class_id", "day", "kind", "inflow", "vintage", "counter_unit_id")
    rows = [{**dict(zip(keys, key, strict=True)), "amount": n} for key, n in flows.items()]
    _add_amounts(conn, table(DailyFlow), keys, rows)


def _add_amounts(
    conn: Connection, t: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Inserts each row, or adds its ``amount`` to the row already holding its ``keys``."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(t)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={"amount": amount_add(t.c.amount, stmt.excluded.amount)}
    )
    conn.execute(stmt, rows)


def rebuild_flows(conn: Connection, days: Sequence[tuple[int, int, int]]) -> None:
    """Recomputes ``daily_flow`` of these (unit, class, day) from ``movement``."""
    df, mv = table(DailyFlow), table(Movement)
    for unit, class_id, day in days:
        conn.execute(
            delete(df).where(df.c.unit_id == unit, df.c.class_id == class_id, df.c.day == day)
        )
        flows: dict[FlowKey, int] = defaultdict(int)
        for kind, vintage, other, amount in conn.execute(
            select(mv.c.kind, mv.c.vintage, mv.c.counter_unit_id, mv.c.amount).where(
                mv.c.unit_id == unit,
                mv.c.class_id == class_id,
                mv.c.timestamp >= day * DAY,
                mv.c.timestamp < (day + 1) * DAY,
            )
        ):
            flows[(unit, class_id, day, kind, amount > 0, vintage, other)] += int(amount)
        _upsert_flows(conn, flows)


def _copy(conn: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany elsewhere."""
    t = _BY_NAME[name]
    if conn.dialect.name != "postgresql":
        conn.execute(t.insert(), rows)
        return
    columns = list(rows[0])
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({", ".join(columns)}) FROM STDIN') as cp:
        if name == "event":  # the JSON column goes as text: PostgreSQL parses it on COPY
            at, dumps = columns.index("args"), json.dumps
            for row in rows:
                line = list(values(row))
                line[at] = dumps(line[at])
                cp.write_row(line)
        else:
            for row in rows:
                cp.write_row(values(row))


def write_batch(
    conn: Connection,
    batch: Batch,
    *,
    previous: tuple[int, str],
    checkpoint: Header,
    window: Sequence[Header],
    keep_from: int,
) -> None:
    """Writes a batch and moves the checkpoint from ``previous`` to ``checkpoint``, atomically."""
    cur = table(Cursor)
    moved = conn.execute(
        update(cur)
        .where(cur.c.id == 1, cur.c.block_number == previous[0], cur.c.block_hash == previous[1])
        .values(block_number=checkpoint.number, block_hash=checkpoint.hash)
    )
    if moved.rowcount != 1:
        raise ConcurrentWriterError("the checkpoint moved: is another indexer writing here?")
    for name, rows in batch.rows.items():
        if rows:
            _copy(conn, name, rows)
    _upsert_balances(conn, batch.deltas)
    _upsert_flows(conn, batch.flows)
    apply_registry(conn, batch.registry)
    blocks = {h.number: h for h in (*window, checkpoint)}
    bt = table(Block)
    conn.execute(delete(bt).where(bt.c.number.in_(list(blocks))))
    conn.execute(
        bt.insert(),
        [
            {
                "number": h.number,
                "hash": h.hash,
                "parent_hash": h.parent_hash,
                "timestamp": h.timestamp,
            }
            for h in blocks.values()
        ],
    )
    conn.execute(delete(bt).where(bt.c.number < keep_from))


def rollback_to(conn: Connection, ancestor: Header) -> None:
    """Undoes every block above ``ancestor``: rows, balances, registry, window; moves the cursor."""
    mv = table(Movement)
    affected = [
        tuple(r)
        for r in conn.execute(
            select(mv.c.unit_id, mv.c.class_id, mv.c.vintage, mv.c.batch)
            .where(mv.c.block_number > ancestor.number)
            .distinct()
        )
    ]
    days = sorted(
        {
            (int(u), int(c), int(ts) // DAY)
            for u, c, ts in conn.execute(
                select(mv.c.unit_id, mv.c.class_id, mv.c.timestamp)
                .where(mv.c.block_number > ancestor.number)
                .distinct()
            )
        }
    )
    ev = table(EventRow)
    registry_changed = conn.execute(
        select(func.count())
        .select_from(ev)
        .where(
            ev.c.block_number > ancestor.number,
            ev.c.name.in_(sorted(k.NAME for k in REGISTRY_EVENTS)),
            ev.c.contract != "Ledger",
        )
    ).scalar_one()
    for model in OPERATION_TABLES:
        t = table(model)
        conn.execute(delete(t).where(t.c.block_number > ancestor.number))
    bal = table(Balance)
    cols = (bal.c.unit_id, bal.c.class_id, bal.c.vintage, bal.c.batch)
    mcols = (mv.c.unit_id, mv.c.class_id, mv.c.vintage, mv.c.batch)
    for start in range(0, len(affected), 500):
        chunk = affected[start : start + 500]
        conn.execute(delete(bal).where(tuple_(*cols).in_(chunk)))
        sums: dict[BalanceKey, int] = defaultdict(int)
        for u, c, v, b, n in conn.execute(
            select(*mcols, amount_sum(mv.c.amount))
            .where(tuple_(*mcols).in_(chunk))
            .group_by(*mcols)
        ):
            sums[(u, c, v, b)] = int(n)
        _upsert_balances(conn, sums)
    rebuild_flows(conn, days)
    if registry_changed:
        rebuild_registry(conn)
    bt = table(Block)
    conn.execute(delete(bt).where(bt.c.number > ancestor.number))
    cur = table(Cursor)
    conn.execute(
        update(cur)
        .where(cur.c.id == 1)
        .values(block_number=ancestor.number, block_hash=ancestor.hash)
    )
