"""``indexer check``: every balance and counter of the mirror against the contracts' own views.

Balances are read with ``Ledger.balanceOfBatch`` for every unit × every token the mirror has seen,
conservation counters with ``supplyOfBatch`` and sequences with ``counts``, all at the mirror's
checkpoint block so that a running indexer does not cause false differences. ``check_lag``
compares the checkpoint with the chain's head: a mirror too many blocks behind, or whose oldest
missing block was mined too long ago (a stopped or stuck follower), fails the check too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from tracenet.contracts import LedgerHandle, token_id
from tracenet.indexer.mirror._chain import ChainReader
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._sqltypes import amount_sum
from tracenet.indexer.mirror._tables import Balance, CreditClass, Cursor, Unit
from tracenet.indexer.mirror._tables_ops import (
    ClaimRow,
    Conversion,
    InputRecord,
    Lapse,
    Movement,
    Shipment,
)

__all__ = ["CheckReport", "Difference", "Lag", "check_lag", "check_mirror"]

_CHUNK = 400


@dataclass(frozen=True)
class Difference:
    """One value where chain and mirror disagree."""

    what: str
    key: str
    chain: int
    mirror: int


@dataclass
class CheckReport:
    block_number: int
    balances_checked: int = 0
    classes_checked: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_number": self.block_number,
            "balances_checked": self.balances_checked,
            "classes_checked": self.classes_checked,
            "ok": self.ok,
            "differences": [d.__dict__ for d in self.differences],
        }


@dataclass(frozen=True)
class Lag:
    """How far the mirror trails the chain, and whether that is too far."""

    checkpoint: int
    head: int
    behind_blocks: int
    #: Seconds since the oldest block not yet mirrored was mined (0 when caught up).
    behind_seconds: float
    max_blocks: int
    max_seconds: float
    #: Why the follower stopped (``code error: message``), recorded on the cursor; or None.
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        within = self.behind_blocks <= self.max_blocks and self.behind_seconds <= self.max_seconds
        return within and self.stopped is None

    def describe(self) -> str:
        text = f"mirror at block {self.checkpoint}, head {self.head}: "
        if self.stopped is not None:
            return text + f"the follower stopped ({self.stopped})"
        if not self.behind_blocks:
            return text + "caught up"
        text += (
            f"{self.behind_blocks} blocks behind (at most {self.max_blocks}), oldest missing "
            f"block mined {self.behind_seconds:.0f} s ago (at most {self.max_seconds:.0f} s)"
        )
        return text if self.ok else text + ": the indexer is behind or stuck"


def check_lag(
    engine: Engine,
    reader: ChainReader,
    *,
    max_blocks: int,
    max_seconds: float,
    now: float | None = None,
) -> Lag:
    """The mirror's checkpoint against the chain's head (``now``: the wall clock, UTC s)."""
    cur = table(Cursor)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                cur.c.block_number, cur.c.stopped_code, cur.c.stopped_error, cur.c.stopped_message
            )
        ).one()
    checkpoint = int(row.block_number)
    stopped = (
        f"{row.stopped_code} {row.stopped_error}: {row.stopped_message}"
        if row.stopped_code is not None
        else None
    )
    head = reader.head()
    behind = max(head - checkpoint, 0)
    seconds = 0.0
    if behind:
        oldest = reader.headers([checkpoint + 1]).get(checkpoint + 1)
        clock = time.time() if now is None else now
        seconds = max(clock - oldest.timestamp, 0.0) if oldest is not None else 0.0
    return Lag(checkpoint, head, behind, seconds, max_blocks, max_seconds, stopped)


def _sums(conn: Any, column: Any, key: Any) -> dict[int, int]:
    return {int(k): int(v) for k, v in conn.execute(select(key, amount_sum(column)).group_by(key))}


def check_mirror(engine: Engine, handle: LedgerHandle) -> CheckReport:
    """Compares the mirror with the chain at the mirror's checkpoint."""
    with engine.connect() as conn:
        block = int(conn.execute(select(table(Cursor).c.block_number)).scalar_one())
        units = {
            int(u): a for u, a in conn.execute(select(table(Unit).c.id, table(Unit).c.account))
        }
        mv = table(Movement)
        tokens = sorted(
            {
                tuple(r)
                for r in conn.execute(select(mv.c.class_id, mv.c.vintage, mv.c.batch).distinct())
            }
        )
        bal = table(Balance)
        mirror = {
            (int(r.unit_id), (int(r.class_id), int(r.vintage), int(r.batch))): int(r.amount)
            for r in conn.execute(select(bal))
        }
        classes = sorted(int(c) for c in conn.execute(select(table(CreditClass).c.id)).scalars())
        ir, cv, cl, lp = table(InputRecord), table(Conversion), table(ClaimRow), table(Lapse)
        claimed = {
            int(k): -int(v)
            for k, v in conn.execute(
                select(mv.c.class_id, amount_sum(mv.c.amount))
                .where(mv.c.kind == "claim")
                .group_by(mv.c.class_id)
            )
        }
        counters = {
            "issued": _sums(conn, ir.c.amount, ir.c.class_id),
            "convertedIn": _sums(conn, cv.c.output_amount, cv.c.output_class_id),
            "convertedOut": _sums(conn, cv.c.input_amount, cv.c.input_class_id),
            "claimed": claimed,
            "lapsed": _sums(conn, lp.c.amount, lp.c.class_id),
            "held": _sums(conn, bal.c.amount, bal.c.class_id),
        }
        counts = [
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (ir, table(Shipment), cv, cl)
        ]
    report = CheckReport(block_number=block)
    ledger = handle.ledger.functions
    pairs = [(u, t) for u in sorted(units) for t in tokens]
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        ids = [token_id(c, v, b) for _, (c, v, b) in chunk]
        values = ledger.balanceOfBatch([units[u] for u, _ in chunk], ids).call(
            block_identifier=block
        )
        for (unit, token), tid, value in zip(chunk, ids, values, strict=True):
            held = mirror.pop((unit, token), 0)
            if held != value:
                report.differences.append(
                    Difference("balance", f"unit {unit} token {tid}", value, held)
                )
        report.balances_checked += len(chunk)
    for (unit, (c, v, b)), held in sorted(mirror.items()):
        if held:
            tid = token_id(c, v, b)
            report.differences.append(Difference("balance", f"unit {unit} token {tid}", 0, held))
    names = ("issued", "convertedIn", "convertedOut", "claimed", "lapsed", "held")
    for start in range(0, len(classes), _CHUNK):
        some = classes[start : start + _CHUNK]
        for class_id, supply in zip(
            some, ledger.supplyOfBatch(some).call(block_identifier=block), strict=True
        ):
            for name, value in zip(names, supply, strict=True):
                mine = counters[name].get(class_id, 0)
                if mine != value:
                    report.differences.append(
                        Difference(name, f"class {class_id}", int(value), mine)
                    )
        report.classes_checked += len(some)
    chain_counts = ledger.counts().call(block_identifier=block)
    for name, value, mine in zip(
        ("inputs", "shipments", "conversions", "claims"), chain_counts, counts, strict=True
    ):
        if int(value) != mine:
            report.differences.append(Difference("count", name, int(value), mine))
    return report
