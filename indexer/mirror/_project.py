"""From decoded events to rows: the operation tables, credit movements and registry changes.

``project`` is pure: it turns a batch of events into rows per table, balance deltas and the
registry events to apply, so the writer can insert each table with one executemany.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tracenet.contracts import EventRecord, SettleMode, TransitState, split_token_id
from tracenet.contracts import records as R
from tracenet.indexer.errors import ValueOutOfRangeError
from tracenet.indexer.mirror._decode import Event

__all__ = ["DAY", "REGISTRY_EVENTS", "TRANSIT_POOL", "BalanceKey", "Batch", "FlowKey", "project"]

#: (unit, class, vintage, batch)
BalanceKey = tuple[int, int, int, int]
#: (unit, class, UTC day, kind, inflow, vintage, counter unit)
FlowKey = tuple[int, int, int, str, bool, int, int]
DAY = 86_400
#: The mirror's unit id for credits in transit (issue 19): the ledger's ``TRANSIT_UNIT``
#: (2^32 - 1) does not fit a signed 32-bit column, and no real unit id is negative.
TRANSIT_POOL = -1

#: Every integer the ABI can carry; ``Amount`` columns hold any of them.
_MAX = 2**256 - 1

#: Events that change the registry tables (rebuilt from the archive on a reorg).
REGISTRY_EVENTS: frozenset[type[EventRecord]] = frozenset(
    {
        R.PartyRegistered,
        R.PartyRolesChanged,
        R.PartySuspended,
        R.PartyReinstated,
        R.BoundaryDeclared,
        R.UnitRegistered,
        R.SignerAuthorized,
        R.SignerRevoked,
        R.CertificateRegistered,
        R.CertificateStatusChanged,
        R.SchemeRegistered,
        R.SchemeCustodySet,
        R.ProductGroupRegistered,
        R.ClassRegistered,
        R.ProcessRegistered,
        R.FactorRegistered,
    }
)


def hex32(value: bytes) -> str:
    """A ``bytes32`` as the mirror's columns keep it (``0x`` hex, as in the archive's args)."""
    return "0x" + value.hex()


def _int(value: int, name: str) -> int:
    if not 0 <= value <= _MAX:
        raise ValueOutOfRangeError(f"{name} = {value} is not a uint256", field=name)
    return value


@dataclass
class Batch:
    """Rows of one batch of events, by table name, ready for executemany."""

    chain_id: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    deltas: dict[BalanceKey, int] = field(default_factory=lambda: defaultdict(int))
    flows: dict[FlowKey, int] = field(default_factory=lambda: defaultdict(int))
    registry: list[Event[EventRecord]] = field(default_factory=list)
    #: Shipments of this batch that opened a transit (``TransitOpened`` precedes ``Shipped``).
    pending: set[int] = field(default_factory=set)

    def key(self, e: Event[Any]) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "block_number": e.ref.block_number,
            "log_index": e.ref.log_index,
            "timestamp": e.ref.timestamp,
        }

    def move(
        self, e: Event[Any], seq: int, kind: str, unit: int, other: int, token: int, amount: int
    ) -> None:
        class_id, vintage, batch = split_token_id(token)
        _int(abs(amount), "amount")
        self.rows["movement"].append(
            {
                **self.key(e),
                "seq": seq,
                "kind": kind,
                "unit_id": unit,
                "counter_unit_id": other,
                "class_id": class_id,
                "vintage": vintage,
                "batch": batch,
                "amount": amount,
            }
        )
        self.deltas[(unit, class_id, vintage, batch)] += amount
        day = e.ref.timestamp // DAY
        self.flows[(unit, class_id, day, kind, amount > 0, vintage, other)] += amount


def _lines(
    b: Batch,
    e: Event[Any],
    kind: str,
    src: int,
    dst: int,
    ids: tuple[int, ...],
    amounts: tuple[int, ...],
) -> int:
    """Debits ``src`` (and credits ``dst`` unless 0) line by line; returns the total."""
    seq = 0
    for token, amount in zip(ids, amounts, strict=True):
        b.move(e, seq, kind, src, dst, token, -amount)
        seq += 1
        if dst:
            b.move(e, seq, kind, dst, src, token, amount)
            seq += 1
    return _int(sum(amounts), "credits")


def _input(b: Batch, e: Event[R.InputRecorded]) -> None:
    r = e.record
    class_id, vintage, batch = split_token_id(r.token_id)
    b.rows["input_record"].append(
        {
            **b.key(e),
            "input_id": r.input_id,
            "unit_id": r.unit_id,
            "class_id": class_id,
            "vintage": vintage,
            "batch": batch,
            "certificate_id": r.certificate_id,
            "amount": _int(r.amount, "amount"),
            "evidence_hash": hex32(r.evidence_hash),
        }
    )
    b.move(e, 0, "input", r.unit_id, 0, r.token_id, r.amount)


def _quantity(kind: str) -> Callable[[Batch, Event[Any]], None]:
    def project(b: Batch, e: Event[R.ConventionalInputRecorded | R.ProductionRecorded]) -> None:
        r = e.record
        b.rows["quantity_record"].append(
            {
                **b.key(e),
                "kind": kind,
                "unit_id": r.unit_id,
                "product_group_id": r.product_group_id,
                "quantity": _int(r.quantity, "quantity"),
                "document_hash": hex32(r.document_hash),
            }
        )

    return project


def _shipped(b: Batch, e: Event[R.Shipped]) -> None:
    r = e.record
    src, dst = r.from_unit_id, r.to_unit_id
    if r.shipment_id in b.pending:
        # Awaiting acceptance: the sender ships to the recipient, the credits wait in transit.
        seq = 0
        for token, amount in zip(r.token_ids, r.amounts, strict=True):
            b.move(e, seq, "ship", src, dst, token, -amount)
            b.move(e, seq + 1, "transit", TRANSIT_POOL, src, token, amount)
            seq += 2
        total = _int(sum(r.amounts), "credits")
    else:
        total = _lines(b, e, "ship", src, dst, r.token_ids, r.amounts)
    b.rows["shipment"].append(
        {
            **b.key(e),
            "shipment_id": r.shipment_id,
            "from_unit_id": src,
            "to_unit_id": dst,
            "product_group_id": r.product_group_id,
            "quantity": _int(r.quantity, "quantity"),
            "credits": total,
            "document_hash": hex32(r.document_hash),
            "order_ref": hex32(r.order_ref),
            "product": hex32(r.product),
            "tx_hash": e.ref.tx_hash,
        }
    )


def _transfer(kind: str) -> Callable[[Batch, Event[Any]], None]:
    def project(b: Batch, e: Event[R.InventoryTransferred | R.CertificatesTransferred]) -> None:
        r = e.record
        src, dst = r.from_unit_id, r.to_unit_id
        total = _lines(b, e, kind, src, dst, r.token_ids, r.amounts)
        trade_ref = r.trade_ref if isinstance(r, R.CertificatesTransferred) else bytes(32)
        b.rows["transfer"].append(
            {
                **b.key(e),
                "kind": kind,
                "from_unit_id": src,
                "to_unit_id": dst,
                "trade_ref": hex32(trade_ref),
                "credits": total,
            }
        )

    return project


def _converted(b: Batch, e: Event[R.Converted]) -> None:
    r = e.record
    unit = r.unit_id
    total = _lines(b, e, "convert", unit, 0, r.input_token_ids, r.input_amounts)
    b.move(e, len(r.input_token_ids), "convert", unit, 0, r.output_token_id, r.output_amount)
    out_class, out_vintage, out_batch = split_token_id(r.output_token_id)
    b.rows["conversion"].append(
        {
            **b.key(e),
            "conversion_id": r.conversion_id,
            "unit_id": unit,
            "process_id": r.process_id,
            "factor_version": r.factor_version,
            "yield_bps": r.yield_bps,
            "input_class_id": split_token_id(r.input_token_ids[0])[0],
            "input_amount": total,
            "output_class_id": out_class,
            "output_vintage": out_vintage,
            "output_batch": out_batch,
            "output_amount": _int(r.output_amount, "outputAmount"),
        }
    )


def _claimed(b: Batch, e: Event[R.Claimed]) -> None:
    r = e.record
    total = _lines(b, e, "claim", r.unit_id, 0, r.token_ids, r.amounts)
    b.rows["claim"].append(
        {
            **b.key(e),
            "claim_id": r.claim_id,
            "unit_id": r.unit_id,
            "beneficiary": r.beneficiary,
            "product": hex32(r.product),
            "purpose": hex32(r.purpose),
            "credits": total,
        }
    )


def _lapsed(b: Batch, e: Event[R.Lapsed]) -> None:
    r = e.record
    class_id, vintage, batch = split_token_id(r.token_id)
    b.rows["lapse"].append(
        {
            **b.key(e),
            "unit_id": r.unit_id,
            "class_id": class_id,
            "vintage": vintage,
            "batch": batch,
            "amount": _int(r.amount, "amount"),
            "reason": int(r.reason),
            "period": r.period,
        }
    )
    b.move(e, 0, "lapse", r.unit_id, 0, r.token_id, -r.amount)


def _transit_opened(b: Batch, e: Event[R.TransitOpened]) -> None:
    r = e.record
    b.pending.add(r.shipment_id)
    b.rows["shipment_transit"].append(
        {
            **b.key(e),
            "shipment_id": r.shipment_id,
            "state": TransitState.pending.name,
            "unit_id": r.to_unit_id,
            "deadline": r.deadline,
            "settle": SettleMode(r.settle).name,
            "reason": "",
        }
    )


def _transit_closed(b: Batch, e: Event[R.TransitClosed]) -> None:
    """Out of transit: a receipt (kind ``ship`` at the recipient) or a return to the sender."""
    r = e.record
    state = TransitState(r.state)
    kind = "ship" if state.received else "returned"
    seq = 0
    for token, amount in zip(r.token_ids, r.amounts, strict=True):
        b.move(e, seq, "transit", TRANSIT_POOL, r.unit_id, token, -amount)
        b.move(e, seq + 1, kind, r.unit_id, TRANSIT_POOL, token, amount)
        seq += 2
    b.rows["shipment_transit"].append(
        {
            **b.key(e),
            "shipment_id": r.shipment_id,
            "state": state.name,
            "unit_id": r.unit_id,
            "deadline": 0,
            "settle": "",
            "reason": r.reason,
        }
    )


def _closed(b: Batch, e: Event[R.PeriodClosed]) -> None:
    r = e.record
    b.rows["period_close"].append(
        {
            **b.key(e),
            "unit_id": r.unit_id,
            "class_id": r.class_id,
            "period": r.period,
            "book_stock": _int(r.book_stock, "bookStock"),
            "physical_stock": _int(r.physical_stock, "physicalStock"),
            "lapsed": _int(r.lapsed, "lapsed"),
        }
    )


#: The projection of each Ledger event record into the operation tables (a new ledger event
#: that the mirror keeps in a table adds its row here).
_PROJECTORS: dict[type[EventRecord], Callable[[Batch, Any], None]] = {
    R.InputRecorded: _input,
    R.ConventionalInputRecorded: _quantity("conventional"),
    R.ProductionRecorded: _quantity("production"),
    R.Shipped: _shipped,
    R.InventoryTransferred: _transfer("inventory"),
    R.CertificatesTransferred: _transfer("certificates"),
    R.Converted: _converted,
    R.Claimed: _claimed,
    R.Lapsed: _lapsed,
    R.PeriodClosed: _closed,
    R.TransitOpened: _transit_opened,
    R.TransitClosed: _transit_closed,
}


def project(chain_id: int, events: Iterable[Event[EventRecord]]) -> Batch:
    """Rows for every event of the batch (the ``event`` archive included)."""
    b = Batch(chain_id)
    archive = b.rows["event"]
    for e in events:
        kind = type(e.record)
        archive.append(
            {
                **b.key(e),
                "block_hash": e.ref.block_hash,
                "tx_hash": e.ref.tx_hash,
                "contract": kind.CONTRACT,
                "name": kind.NAME,
                "args": e.record.to_args(),
            }
        )
        if (projector := _PROJECTORS.get(kind)) is not None:
            projector(b, e)
        elif kind in REGISTRY_EVENTS:
            b.registry.append(e)
    return b
