"""Provenance of a shipment or a claim, from the mirror, through the shared lineage function.

The mirror's archived Ledger events that move credits (``LINEAGE_EVENTS``) are read back as
the SDK's records (``Event.of_row``) and fed, in chain order, to one ``LineageBook`` kept per
mirror state (new events are
appended; a rollback below what it has seen rebuilds it), so ``tracenet verify`` and the
indexer allocate identically.

The book is built from the whole archive once, in a background thread started with the server
(or by the first request), ``_CHUNK`` events per hold of its lock, so the API never waits for it
to finish: a request for a target whose event the book has not reached yet applies chunks itself
for up to ``_REQUEST_BUDGET_S``, then answers 503 ``LineageWarming`` (retryable). A target's
lineage depends on earlier events only, so it is served as soon as the book holds its event.
Once built, a request reads the checkpoint and applies the events written since (usually none).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, select

from tracenet.contracts import records as R
from tracenet.indexer.errors import LineageWarmingError, NotFoundError
from tracenet.indexer.lineage import _lineage as lin
from tracenet.indexer.mirror._decode import Event
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Certificate, Cursor, Factor, Process
from tracenet.indexer.mirror._tables_ops import EventRow
from tracenet.kit import iso_time

__all__ = ["ALLOCATION_METHOD", "ProvenanceCache", "depth", "lineage_json"]

ALLOCATION_METHOD = (
    "proportional (pro-rata) mass-balance allocation: every outflow of a unit's credits of one "
    "token takes the pool's current composition pro rata, largest remainder rounding; "
    "conversions pass shares back scaled by their yield"
)  # shown to buyers as is: no module names (the method is indexer.lineage._lineage)
_LEDGER = sorted(cls.NAME for cls in lin.LINEAGE_EVENTS)
_CHUNK = 5_000  # events applied per hold of the lock while the book is built
_REQUEST_BUDGET_S = 0.5  # how long a request helps build the book before answering 503
_TRACED = 4_096  # lineages kept (all dropped when full)

log = logging.getLogger(__name__)


class ProvenanceCache:
    """One LineageBook per mirror, advanced with the mirror's new events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._book = lin.LineageBook()
        self._last: tuple[int, int] = (-1, -1)
        self._last_hash = ""
        self._checkpoint: tuple[int, str] | None = None  # the mirror's, when the book caught up
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self.ready = threading.Event()  # the book has caught up with the mirror once
        # A target's lineage never changes (its versions are drawn from: frozen) until a
        # rollback rebuilds the book; the registry rows it names, until the checkpoint moves.
        self._traced: dict[str, lin.Lineage] = {}
        self._registry: tuple[tuple[int, str] | None, tuple[dict[Any, Any], ...]] | None = None

    def _refresh(self, conn: Connection, limit: int | None = None) -> bool:
        """Applies the events written since the last refresh (at most ``limit``); True when the
        book holds every event up to the checkpoint this connection sees."""
        cur = table(Cursor)
        row = conn.execute(select(cur.c.chain_id, cur.c.block_number, cur.c.block_hash)).first()
        if row is None:
            return True
        checkpoint = (int(row.block_number), str(row.block_hash))
        if checkpoint == self._checkpoint:
            return True
        if checkpoint[0] < self._last[0]:  # an older snapshot than the book's, or a rollback
            return True  # that the follower's next range re-advances: the hash check sees it
        ev = table(EventRow)
        if self._last[0] >= 0:
            known = conn.execute(
                select(ev.c.block_hash).where(
                    ev.c.chain_id == row.chain_id,
                    ev.c.block_number == self._last[0],
                    ev.c.log_index == self._last[1],
                )
            ).scalar()
            if known != self._last_hash:  # rolled back under us: start again
                log.info("the mirror rolled back below block %d: rebuilding", self._last[0])
                self._book, self._last, self._last_hash = lin.LineageBook(), (-1, -1), ""
                self._traced = {}
        query = (
            select(ev)
            .where(
                ev.c.chain_id == row.chain_id,  # the key's prefix: a range scan of the key
                ev.c.block_number >= self._last[0],
                ev.c.block_number <= checkpoint[0],
                (ev.c.block_number > self._last[0]) | (ev.c.log_index > self._last[1]),
                ev.c.contract.in_(("Ledger", "Transit")),
                ev.c.name.in_(_LEDGER),
            )
            .order_by(ev.c.block_number, ev.c.log_index)
        )
        if limit is not None:
            query = query.limit(limit)
        applied = 0
        for event in conn.execute(query):
            self._book.apply(Event.of_row(event))
            self._last, self._last_hash = (event.block_number, event.log_index), event.block_hash
            applied += 1
        if limit is not None and applied == limit:
            return False
        self._checkpoint = checkpoint
        return True

    def start(self, engine: Engine) -> None:
        """Builds the book in a background thread (once; again after a failure)."""
        with self._start_lock:
            if self.ready.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._build, args=(engine,), name="provenance-warm", daemon=True
            )
            self._thread.start()

    @property
    def building(self) -> bool:
        """Whether the background build runs now."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stops the background build after its current chunk and waits for it (server
        shutdown): its connection goes back to the engine's pool before the engine is disposed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _build(self, engine: Engine) -> None:
        started = time.monotonic()
        try:
            with engine.connect() as conn:
                while not self.ready.is_set() and not self._stop.is_set():
                    with self._lock:
                        if self._refresh(conn, _CHUNK):
                            self.ready.set()
                    conn.rollback()  # the next chunk reads a fresh snapshot
        except Exception:  # the next request starts it again
            log.exception("building the lineage book failed")
            return
        log.info("lineage book built in %.1f s", time.monotonic() - started)

    def warm(self, conn: Connection) -> None:
        """Feeds the book every archived event, here and now."""
        with self._lock:
            self._refresh(conn)
            self.ready.set()

    def lineage(self, conn: Connection, kind: str, ident: int) -> lin.Lineage:
        key = f"{kind}:{ident}"
        if not self.ready.is_set():
            if self._thread is not None:  # the server's build failed: start it again
                self.start(conn.engine)
            deadline = time.monotonic() + _REQUEST_BUDGET_S
            while True:
                with self._lock:  # its lineage needs no event after its own
                    if (
                        self._book.has(key)
                        or self._refresh(conn, _CHUNK)  # caught up with what this request sees
                        or self._book.has(key)
                    ):
                        return self._answer(kind, ident)
                if time.monotonic() > deadline:
                    raise LineageWarmingError(
                        f"the lineage book is being built (block {self._last[0]} so far): "
                        "retry in a moment",
                        args={"blockNumber": self._last[0]},
                    )
        with self._lock:
            self._refresh(conn)
            return self._answer(kind, ident)

    def _answer(self, kind: str, ident: int) -> lin.Lineage:
        key = f"{kind}:{ident}"
        if (traced := self._traced.get(key)) is not None:
            return traced
        try:
            traced = self._book.shipment(ident) if kind == "shipment" else self._book.claim(ident)
        except LookupError as exc:
            raise NotFoundError(
                f"no {kind} {ident}", field=f"{kind}_id", error=f"{kind.title()}Unknown"
            ) from exc
        if len(self._traced) >= _TRACED:
            self._traced = {}
        self._traced[key] = traced
        return traced

    def _names(self, conn: Connection) -> tuple[dict[Any, Any], ...]:
        """Certificates, processes and factors by id, read again when the checkpoint moved."""
        seen = self._checkpoint
        if self._registry is None or self._registry[0] != seen or seen is None:
            certs = {r.id: r for r in conn.execute(select(table(Certificate)))}
            procs = {r.id: r for r in conn.execute(select(table(Process)))}
            factors = {(r.process_id, r.version): r for r in conn.execute(select(table(Factor)))}
            self._registry = (seen, (certs, procs, factors))
        return self._registry[1]

    def provenance(self, conn: Connection, kind: str, ident: int) -> dict[str, Any]:
        lineage = self.lineage(conn, kind, ident)
        certs, procs, factors = self._names(conn)
        return {
            "target": {"kind": kind, "id": ident, "amount_g": lineage.target.grams},
            "allocation_method": ALLOCATION_METHOD,
            "depth": depth(lineage),
            **lineage_json(lineage, certs, procs, factors),
        }


def lineage_json(
    lineage: lin.Lineage,
    certs: dict[int, Any] | None = None,
    procs: dict[int, Any] | None = None,
    factors: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """The lineage graph on the wire, one shape for ``/provenance`` and ``/verification``:
    snake_case keys, grams in ``_g`` keys, token ids as decimal strings; registry names
    (certificate numbers, process names, factor evidence) where ``certs``… are given."""
    certs, procs, factors = certs or {}, procs or {}, factors or {}
    return {
        "nodes": [_node(n, certs, procs, factors) for n in lineage.nodes],
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "token_id": str(e.token_id),
                "amount_g": e.grams,
            }
            for e in lineage.edges
        ],
        "origins": [
            {
                "input_id": o.input.input_id,
                "unit_id": o.input.unit_id,
                "token_id": str(o.input.token_id),
                "certificate_id": o.input.certificate_id,
                "certificate_number": getattr(certs.get(o.input.certificate_id), "number", None),
                "evidence_hash": "0x" + o.input.evidence_hash.hex(),
                "amount_g": o.grams,
                "input_amount_g": o.input_grams,
                "block_number": o.ref.block_number,
                "tx_hash": o.ref.tx_hash,
            }
            for o in lineage.origins
        ],
        "unexplained_g": lineage.unexplained,
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
    out: dict[str, Any] = {"key": n.key, "kind": n.kind, "amount_g": n.grams}
    if n.event is None:
        return out
    ref, e = n.event
    out |= {
        "block_number": ref.block_number,
        "log_index": ref.log_index,
        "tx_hash": ref.tx_hash,
        "time": iso_time(ref.timestamp),
    }
    if isinstance(e, R.InputRecorded):
        cert = certs.get(e.certificate_id)
        out |= {
            "unit_id": e.unit_id,
            "certificate_id": e.certificate_id,
            "certificate_number": getattr(cert, "number", None),
            "evidence_hash": "0x" + e.evidence_hash.hex(),
        }
    elif isinstance(e, R.Shipped):
        out |= {
            "from_unit_id": e.from_unit_id,
            "to_unit_id": e.to_unit_id,
            "quantity_g": e.quantity,
            "document_hash": "0x" + e.document_hash.hex(),
        }
    elif isinstance(e, R.InventoryTransferred | R.CertificatesTransferred):
        out |= {"from_unit_id": e.from_unit_id, "to_unit_id": e.to_unit_id}
    elif isinstance(e, R.Converted):
        f = factors.get((e.process_id, e.factor_version))
        out |= {
            "unit_id": e.unit_id,
            "process_id": e.process_id,
            "process": getattr(procs.get(e.process_id), "name", None),
            "factor_version": e.factor_version,
            "yield_bps": e.yield_bps,
            "factor_evidence_hash": _hex(getattr(f, "evidence_hash", None)),
        }
    elif isinstance(e, R.Claimed):
        out |= {"unit_id": e.unit_id, "beneficiary": e.beneficiary}
    return out


def _hex(value: Any) -> str | None:
    """A hash as ``0x…`` hex (the mirror holds text, the chain record bytes)."""
    if value is None or isinstance(value, str):
        return value
    return "0x" + bytes(value).hex()
