"""From decoded events to rows: the operation tables, credit movements and registry changes.

``project`` is pure: it turns a batch of events into rows per table, balance deltas and the
registry events to apply, so the writer can insert each table with one executemany.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tracenet.contracts import SettleMode, TransitState, split_token_id
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
REGISTRY_EVENTS = frozenset(
    {
        "PartyRegistered",
        "PartyRolesChanged",
        "PartySuspended",
        "PartyReinstated",
        "BoundaryDeclared",
        "UnitRegistered",
        "SignerAuthorized",
        "SignerRevoked",
        "CertificateRegistered",
        "CertificateRevoked",
        "SchemeRegistered",
        "SchemeCustodySet",
        "ProductGroupRegistered",
        "ClassRegistered",
        "ProcessRegistered",
        "FactorRegistered",
    }
)


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
    registry: list[Event] = field(default_factory=list)
    #: Shipments of this batch that opened a transit (``TransitOpened`` precedes ``Shipped``).
    pending: set[int] = field(default_factory=set)

    def key(self, e: Event) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "block_number": e.block_number,
            "log_index": e.log_index,
            "timestamp": e.timestamp,
        }

    def move(
        self, e: Event, seq: int, kind: str, unit: int, other: int, token: int, amount: int
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
        self.flows[(unit, class_id, e.timestamp // DAY, kind, amount > 0, vintage, other)] += amount


def _lines(
    b: Batch, e: Event, kind: str, src: int, dst: int, ids: list[int], amounts: list[int]
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


def _input(b: Batch, e: Event, a: dict[str, Any]) -> None:
    class_id, vintage, batch = split_token_id(a["tokenId"])
    b.rows["input_record"].append(
        {
            **b.key(e),
            "input_id": a["inputId"],
            "unit_id": a["unitId"],
            "class_id": class_id,
            "vintage": vintage,
            "batch": batch,
            "certificate_id": a["certificateId"],
            "amount": _int(a["amount"], "amount"),
            "evidence_hash": a["evidenceHash"],
        }
    )
    b.move(e, 0, "input", a["unitId"], 0, a["tokenId"], a["amount"])


def _quantity(kind: str) -> Callable[[Batch, Event, dict[str, Any]], None]:
    def project(b: Batch, e: Event, a: dict[str, Any]) -> None:
        b.rows["quantity_record"].append(
            {
                **b.key(e),
                "kind": kind,
                "unit_id": a["unitId"],
                "product_group_id": a["productGroupId"],
                "quantity": _int(a["quantity"], "quantity"),
                "document_hash": a["documentHash"],
            }
        )

    return project


def _shipped(b: Batch, e: Event, a: dict[str, Any]) -> None:
    src, dst = a["fromUnitId"], a["toUnitId"]
    if a["shipmentId"] in b.pending:
        # Awaiting acceptance: the sender ships to the recipient, the credits wait in transit.
        seq = 0
        for token, amount in zip(a["tokenIds"], a["amounts"], strict=True):
            b.move(e, seq, "ship", src, dst, token, -amount)
            b.move(e, seq + 1, "transit", TRANSIT_POOL, src, token, amount)
            seq += 2
        total = _int(sum(a["amounts"]), "credits")
    else:
        total = _lines(b, e, "ship", src, dst, a["tokenIds"], a["amounts"])
    b.rows["shipment"].append(
        {
            **b.key(e),
            "shipment_id": a["shipmentId"],
            "from_unit_id": src,
            "to_unit_id": dst,
            "product_group_id": a["productGroupId"],
            "quantity": _int(a["quantity"], "quantity"),
            "credits": total,
            "document_hash": a["documentHash"],
            "order_ref": a["orderRef"],
            "product": a["product"],
            "tx_hash": e.tx_hash,
        }
    )


def _transfer(kind: str) -> Callable[[Batch, Event, dict[str, Any]], None]:
    def project(b: Batch, e: Event, a: dict[str, Any]) -> None:
        src, dst = a["fromUnitId"], a["toUnitId"]
        total = _lines(b, e, kind, src, dst, a["tokenIds"], a["amounts"])
        b.rows["transfer"].append(
            {
                **b.key(e),
                "kind": kind,
                "from_unit_id": src,
                "to_unit_id": dst,
                "trade_ref": a.get("tradeRef", "0x" + "00" * 32),
                "credits": total,
            }
        )

    return project


def _converted(b: Batch, e: Event, a: dict[str, Any]) -> None:
    unit = a["unitId"]
    total = _lines(b, e, "convert", unit, 0, a["inputTokenIds"], a["inputAmounts"])
    b.move(e, len(a["inputTokenIds"]), "convert", unit, 0, a["outputTokenId"], a["outputAmount"])
    out_class, out_vintage, out_batch = split_token_id(a["outputTokenId"])
    b.rows["conversion"].append(
        {
            **b.key(e),
            "conversion_id": a["conversionId"],
            "unit_id": unit,
            "process_id": a["processId"],
            "factor_version": a["factorVersion"],
            "yield_bps": a["yieldBps"],
            "input_class_id": split_token_id(a["inputTokenIds"][0])[0],
            "input_amount": total,
            "output_class_id": out_class,
            "output_vintage": out_vintage,
            "output_batch": out_batch,
            "output_amount": _int(a["outputAmount"], "outputAmount"),
        }
    )


def _claimed(b: Batch, e: Event, a: dict[str, Any]) -> None:
    total = _lines(b, e, "claim", a["unitId"], 0, a["tokenIds"], a["amounts"])
    b.rows["claim"].append(
        {
            **b.key(e),
            "claim_id": a["claimId"],
            "unit_id": a["unitId"],
            "beneficiary": a["beneficiary"],
            "product": a["product"],
            "purpose": a["purpose"],
            "credits": total,
        }
    )


def _lapsed(b: Batch, e: Event, a: dict[str, Any]) -> None:
    class_id, vintage, batch = split_token_id(a["tokenId"])
    b.rows["lapse"].append(
        {
            **b.key(e),
            "unit_id": a["unitId"],
            "class_id": class_id,
            "vintage": vintage,
            "batch": batch,
            "amount": _int(a["amount"], "amount"),
            "reason": a["reason"],
            "period": a["period"],
        }
    )
    b.move(e, 0, "lapse", a["unitId"], 0, a["tokenId"], -a["amount"])


def _transit_opened(b: Batch, e: Event, a: dict[str, Any]) -> None:
    b.pending.add(a["shipmentId"])
    b.rows["shipment_transit"].append(
        {
            **b.key(e),
            "shipment_id": a["shipmentId"],
            "state": TransitState.pending.name,
            "unit_id": a["toUnitId"],
            "deadline": a["deadline"],
            "settle": SettleMode(a["settle"]).name,
            "reason": "",
        }
    )


def _transit_closed(b: Batch, e: Event, a: dict[str, Any]) -> None:
    """Out of transit: a receipt (kind ``ship`` at the recipient) or a return to the sender."""
    state = TransitState(a["state"])
    kind = "ship" if state.received else "returned"
    seq = 0
    for token, amount in zip(a["tokenIds"], a["amounts"], strict=True):
        b.move(e, seq, "transit", TRANSIT_POOL, a["unitId"], token, -amount)
        b.move(e, seq + 1, kind, a["unitId"], TRANSIT_POOL, token, amount)
        seq += 2
    b.rows["shipment_transit"].append(
        {
            **b.key(e),
            "shipment_id": a["shipmentId"],
            "state": state.name,
            "unit_id": a["unitId"],
            "deadline": 0,
            "settle": "",
            "reason": a["reason"],
        }
    )


def _closed(b: Batch, e: Event, a: dict[str, Any]) -> None:
    b.rows["period_close"].append(
        {
            **b.key(e),
            "unit_id": a["unitId"],
            "class_id": a["classId"],
            "period": a["period"],
            "book_stock": _int(a["bookStock"], "bookStock"),
            "physical_stock": _int(a["physicalStock"], "physicalStock"),
            "lapsed": _int(a["lapsed"], "lapsed"),
        }
    )


_PROJECTORS: dict[str, Callable[[Batch, Event, dict[str, Any]], None]] = {
    "InputRecorded": _input,
    "ConventionalInputRecorded": _quantity("conventional"),
    "ProductionRecorded": _quantity("production"),
    "Shipped": _shipped,
    "InventoryTransferred": _transfer("inventory"),
    "CertificatesTransferred": _transfer("certificates"),
    "Converted": _converted,
    "Claimed": _claimed,
    "Lapsed": _lapsed,
    "PeriodClosed": _closed,
}


_TRANSIT: dict[str, Callable[[Batch, Event, dict[str, Any]], None]] = {
    "TransitOpened": _transit_opened,
    "TransitClosed": _transit_closed,
}


def project(chain_id: int, events: Iterable[Event]) -> Batch:
    """Rows for every event of the batch (the ``event`` archive included)."""
    b = Batch(chain_id)
    archive = b.rows["event"]
    for e in events:
        archive.append(
            {
                **b.key(e),
                "block_hash": e.block_hash,
                "tx_hash": e.tx_hash,
                "contract": e.contract,
                "name": e.name,
                "args": e.args,
            }
        )
        if e.contract == "Ledger":
            projector = _PROJECTORS.get(e.name)
            if projector is not None:
                projector(b, e, e.args)
        elif e.contract == "Transit" and e.name in _TRANSIT:
            _TRANSIT[e.name](b, e, e.args)
        elif e.name in REGISTRY_EVENTS:
            b.registry.append(e)
    return b
