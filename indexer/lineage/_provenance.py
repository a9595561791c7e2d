"""Provenance of a shipment or a claim, from the mirror, through the shared lineage function.

The mirror's archived Ledger events are converted to ``indexer.lineage._lineage``'s event
types and fed, in chain order, to one ``LineageBook`` kept per mirror state (new events are
appended; a rollback below what it has seen rebuilds it), so ``tracenet verify`` and the
indexer allocate identically.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, select

from indexer.errors import NotFoundError
from indexer.lineage import _lineage as lin
from indexer.mirror._registry import table
from indexer.mirror._tables import Certificate, Factor, Process
from indexer.mirror._tables_ops import EventRow

__all__ = ["ALLOCATION_METHOD", "ProvenanceCache", "depth"]

ALLOCATION_METHOD = (
    "proportional (pro-rata) mass-balance allocation: every outflow of a unit's credits of one "
    "token takes the pool's current composition pro rata, largest remainder rounding; "
    "conversions pass shares back scaled by their yield"
)  # shown to buyers as is: no module names (the method is indexer.lineage._lineage)
_LEDGER = (
    "InputRecorded",
    "Shipped",
    "InventoryTransferred",
    "CertificatesTransferred",
    "Converted",
    "Claimed",
    "Lapsed",
    "PeriodClosed",
)


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _lines(ids: list[int], amounts: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple(zip(ids, amounts, strict=True))


def to_lineage_event(row: Any) -> lin.LedgerEvent:
    a = row.args
    ref = lin.EventRef(row.block_number, row.log_index, row.tx_hash, row.timestamp)
    name = row.name
    if name == "InputRecorded":
        return lin.InputRecorded(
            ref,
            a["inputId"],
            a["unitId"],
            a["tokenId"],
            a["certificateId"],
            a["amount"],
            _b(a["evidenceHash"]),
        )
    if name == "Shipped":
        return lin.Shipped(
            ref,
            a["shipmentId"],
            a["fromUnitId"],
            a["toUnitId"],
            a["productGroupId"],
            a["quantity"],
            _b(a["documentHash"]),
            _b(a["orderRef"]),
            _b(a["product"]),
            _lines(a["tokenIds"], a["amounts"]),
        )
    if name == "InventoryTransferred":
        return lin.InventoryTransferred(
            ref, a["fromUnitId"], a["toUnitId"], _lines(a["tokenIds"], a["amounts"])
        )
    if name == "CertificatesTransferred":
        return lin.CertificatesTransferred(
            ref,
            a["fromUnitId"],
            a["toUnitId"],
            _b(a["tradeRef"]),
            _lines(a["tokenIds"], a["amounts"]),
        )
    if name == "Converted":
        return lin.Converted(
            ref,
            a["conversionId"],
            a["unitId"],
            a["processId"],
            a["factorVersion"],
            a["yieldBps"],
            _lines(a["inputTokenIds"], a["inputAmounts"]),
            a["outputTokenId"],
            a["outputAmount"],
        )
    if name == "Claimed":
        return lin.Claimed(
            ref,
            a["claimId"],
            a["unitId"],
            a["beneficiary"],
            _b(a["product"]),
            _b(a["purpose"]),
            _lines(a["tokenIds"], a["amounts"]),
        )
    if name == "Lapsed":
        return lin.Lapsed(ref, a["unitId"], a["tokenId"], a["amount"], a["reason"], a["period"])
    return lin.PeriodClosed(
        ref, a["unitId"], a["classId"], a["period"], a["bookStock"], a["physicalStock"], a["lapsed"]
    )


class ProvenanceCache:
    """One LineageBook per mirror, advanced with the mirror's new events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._book = lin.LineageBook()
        self._last: tuple[int, int] = (-1, -1)
        self._last_hash = ""

    def _refresh(self, conn: Connection) -> None:
        ev = table(EventRow)
        if self._last[0] >= 0:
            known = conn.execute(
                select(ev.c.block_hash).where(
                    ev.c.block_number == self._last[0], ev.c.log_index == self._last[1]
                )
            ).scalar()
            if known != self._last_hash:  # rolled back under us: start again
                self._book, self._last, self._last_hash = lin.LineageBook(), (-1, -1), ""
        query = (
            select(ev)
            .where(ev.c.contract == "Ledger", ev.c.name.in_(_LEDGER))
            .where(
                (ev.c.block_number > self._last[0])
                | ((ev.c.block_number == self._last[0]) & (ev.c.log_index > self._last[1]))
            )
            .order_by(ev.c.block_number, ev.c.log_index)
        )
        for row in conn.execute(query):
            self._book.apply(to_lineage_event(row))
            self._last, self._last_hash = (row.block_number, row.log_index), row.block_hash

    def warm(self, conn: Connection) -> None:
        """Feeds the book every archived event (at server start, off the request path)."""
        with self._lock:
            self._refresh(conn)

    def lineage(self, conn: Connection, kind: str, ident: int) -> lin.Lineage:
        with self._lock:
            self._refresh(conn)
            try:
                return self._book.shipment(ident) if kind == "shipment" else self._book.claim(ident)
            except LookupError as exc:
                raise NotFoundError(
                    f"no {kind} {ident}", field=f"{kind}_id", error=f"{kind.title()}Unknown"
                ) from exc

    def provenance(self, conn: Connection, kind: str, ident: int) -> dict[str, Any]:
        lineage = self.lineage(conn, kind, ident)
        certs = {r.id: r for r in conn.execute(select(table(Certificate)))}
        procs = {r.id: r for r in conn.execute(select(table(Process)))}
        factors = {(r.process_id, r.version): r for r in conn.execute(select(table(Factor)))}
        nodes = [_node(n, certs, procs, factors) for n in lineage.nodes]
        return {
            "target": {"kind": kind, "id": ident, "grams": lineage.target.grams},
            "allocationMethod": ALLOCATION_METHOD,
            "depth": depth(lineage),
            "nodes": nodes,
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "tokenId": str(e.token_id),
                    "grams": e.grams,
                }
                for e in lineage.edges
            ],
            "origins": [
                {
                    "inputId": o.input_id,
                    "unitId": o.unit_id,
                    "tokenId": str(o.token_id),
                    "certificateId": o.certificate_id,
                    "certificateNumber": getattr(certs.get(o.certificate_id), "number", None),
                    "evidenceHash": "0x" + o.evidence_hash.hex(),
                    "grams": o.grams,
                    "inputGrams": o.input_grams,
                    "blockNumber": o.ref.block_number,
                    "txHash": o.ref.tx_hash,
                }
                for o in lineage.origins
            ],
            "unexplained": lineage.unexplained,
        }


def depth(lineage: lin.Lineage) -> int:
    """Edges on the longest path from an origin to the target."""
    parents: dict[str, list[str]] = {}
    for e in lineage.edges:
        parents.setdefault(e.target, []).append(e.source)
    memo: dict[str, int] = {}

    def walk(key: str) -> int:
        if key not in memo:
            memo[key] = 1 + max((walk(p) for p in parents.get(key, [])), default=-1)
        return memo[key]

    return walk(lineage.target.key)


def _node(
    n: lin.Node, certs: dict[int, Any], procs: dict[int, Any], factors: dict[Any, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"key": n.key, "kind": n.kind, "grams": n.grams}
    e = n.event
    if e is None:
        return out
    out |= {
        "blockNumber": e.ref.block_number,
        "logIndex": e.ref.log_index,
        "txHash": e.ref.tx_hash,
        "timestamp": e.ref.timestamp,
    }
    if isinstance(e, lin.InputRecorded):
        cert = certs.get(e.certificate_id)
        out |= {
            "unitId": e.unit_id,
            "certificateId": e.certificate_id,
            "certificateNumber": getattr(cert, "number", None),
            "evidenceHash": "0x" + e.evidence_hash.hex(),
        }
    elif isinstance(e, lin.Shipped):
        out |= {
            "fromUnitId": e.from_unit_id,
            "toUnitId": e.to_unit_id,
            "quantity": e.quantity,
            "documentHash": "0x" + e.document_hash.hex(),
        }
    elif isinstance(e, lin.InventoryTransferred | lin.CertificatesTransferred):
        out |= {"fromUnitId": e.from_unit_id, "toUnitId": e.to_unit_id}
    elif isinstance(e, lin.Converted):
        f = factors.get((e.process_id, e.factor_version))
        out |= {
            "unitId": e.unit_id,
            "processId": e.process_id,
            "process": getattr(procs.get(e.process_id), "name", None),
            "factorVersion": e.factor_version,
            "yieldBps": e.yield_bps,
            "factorEvidenceHash": getattr(f, "evidence_hash", None),
        }
    elif isinstance(e, lin.Claimed):
        out |= {"unitId": e.unit_id, "beneficiary": e.beneficiary}
    return out
