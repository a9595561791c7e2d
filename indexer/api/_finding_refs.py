"""What each event a finding names is: the operation recorded at that ``(block, log)`` and its
id (``shipmentId``, ``claimId``, ``conversionId``, ``inputId``), so a reader can open the
shipment or claim concerned instead of looking an event up by its position."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, tuple_

from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables_ops import (
    ClaimRow,
    Conversion,
    InputRecord,
    Lapse,
    PeriodClose,
    Shipment,
    Transfer,
)

__all__ = ["name_events"]

#: Operation table, its name in a finding, the id column and its JSON name (None: no id).
_OPERATIONS: tuple[tuple[Any, str, str | None, str | None], ...] = (
    (Shipment, "shipment", "shipment_id", "shipment_id"),
    (ClaimRow, "claim", "claim_id", "claim_id"),
    (Conversion, "conversion", "conversion_id", "conversion_id"),
    (InputRecord, "input", "input_id", "input_id"),
    (Transfer, "transfer", None, None),
    (Lapse, "lapse", None, None),
    (PeriodClose, "period close", None, None),
)
_CHUNK = 400


def name_events(conn: Connection, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` (``block_number``, ``log_index``) each with ``operation`` and its id added."""
    keys = [(int(e["block_number"]), int(e["log_index"])) for e in events]
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for model, name, column, field in _OPERATIONS:
        t = table(model)
        picked = [t.c.block_number, t.c.log_index] + ([t.c[column]] if column else [])
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            where = tuple_(t.c.block_number, t.c.log_index).in_(chunk)
            for row in conn.execute(select(*picked).where(where)):
                named: dict[str, Any] = {"operation": name}
                if column and field:
                    named[field] = int(row[2])
                found.setdefault((int(row[0]), int(row[1])), named)
    return [{**e, **found.get(k, {})} for e, k in zip(events, keys, strict=True)]
