"""The mirror's operation tables: one row per ledger event, keyed by (chain, block, log index).

The key is the primary key, so an event can be written once only; a reorg deletes the rows above
the common ancestor. ``movement`` holds every credit line as a signed delta per unit and token;
``event`` archives every decoded log with its arguments. Grams are ``Amount`` columns (any size
the ledger accepts); uint32 values (vintages, batches, periods) 64-bit integers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from tracenet.indexer.mirror._sqltypes import Amount

__all__ = [
    "ClaimRow",
    "Conversion",
    "DailyFlow",
    "EventRow",
    "InputRecord",
    "Lapse",
    "Movement",
    "PeriodClose",
    "QuantityRecord",
    "Shipment",
    "Transfer",
    "TransitRow",
]


def _key(**kw: Any) -> Any:
    return Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})


class _Keyed(SQLModel):
    chain_id: int = _key()
    block_number: int = _key()
    log_index: int = _key()
    timestamp: int = Field(sa_type=BigInteger)


class EventRow(_Keyed, table=True):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_name", "name"),)
    block_hash: str
    tx_hash: str
    contract: str
    name: str
    args: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class InputRecord(_Keyed, table=True):
    __tablename__ = "input_record"
    input_id: int = Field(sa_type=BigInteger, index=True)
    unit_id: int = Field(index=True)
    class_id: int
    vintage: int = Field(sa_type=BigInteger)
    batch: int = Field(sa_type=BigInteger)
    certificate_id: int
    amount: int = Field(sa_type=Amount)
    evidence_hash: str


class QuantityRecord(_Keyed, table=True):
    """A conventional input or a production quantity (physical grams, no credits)."""

    __tablename__ = "quantity_record"
    kind: str  # "conventional" or "production"
    unit_id: int = Field(index=True)
    product_group_id: int
    quantity: int = Field(sa_type=Amount)
    document_hash: str


class Shipment(_Keyed, table=True):
    shipment_id: int = Field(sa_type=BigInteger, index=True)
    from_unit_id: int = Field(index=True)
    to_unit_id: int = Field(index=True)
    product_group_id: int
    quantity: int = Field(sa_type=Amount)
    credits: int = Field(sa_type=Amount)
    document_hash: str
    order_ref: str
    product: str
    tx_hash: str


class TransitRow(_Keyed, table=True):
    """Issue 19: a shipment awaiting acceptance (``state`` pending: ``unit_id`` the recipient,
    ``deadline`` and ``settle``) or leaving transit (accepted, rejected, recalled,
    settled_accepted, settled_returned: ``unit_id`` the unit credited, ``reason`` a rejection's).
    A shipment's state is its latest row."""

    __tablename__ = "shipment_transit"
    shipment_id: int = Field(sa_type=BigInteger, index=True)
    state: str
    unit_id: int
    deadline: int = Field(sa_type=BigInteger)
    settle: str
    reason: str


class Transfer(_Keyed, table=True):
    """An inventory transfer inside a boundary, or a book-and-claim certificate transfer."""

    kind: str  # "inventory" or "certificates"
    from_unit_id: int = Field(index=True)
    to_unit_id: int = Field(index=True)
    trade_ref: str
    credits: int = Field(sa_type=Amount)


class Conversion(_Keyed, table=True):
    conversion_id: int = Field(sa_type=BigInteger, index=True)
    unit_id: int = Field(index=True)
    process_id: int
    factor_version: int
    yield_bps: int
    input_class_id: int
    input_amount: int = Field(sa_type=Amount)
    output_class_id: int
    output_vintage: int = Field(sa_type=BigInteger)
    output_batch: int = Field(sa_type=BigInteger)
    output_amount: int = Field(sa_type=Amount)


class ClaimRow(_Keyed, table=True):
    __tablename__ = "claim"
    claim_id: int = Field(sa_type=BigInteger, index=True)
    unit_id: int = Field(index=True)
    beneficiary: str
    product: str
    purpose: str
    credits: int = Field(sa_type=Amount)


class Lapse(_Keyed, table=True):
    unit_id: int = Field(index=True)
    class_id: int
    vintage: int = Field(sa_type=BigInteger)
    batch: int = Field(sa_type=BigInteger)
    amount: int = Field(sa_type=Amount)
    reason: int  # 0 allocation window, 1 stock cap
    period: int = Field(sa_type=BigInteger)


class PeriodClose(_Keyed, table=True):
    __tablename__ = "period_close"
    unit_id: int = Field(index=True)
    class_id: int
    period: int = Field(sa_type=BigInteger)
    book_stock: int = Field(sa_type=Amount)
    physical_stock: int = Field(sa_type=Amount)
    lapsed: int = Field(sa_type=Amount)


class Movement(SQLModel, table=True):
    """One side of one credit line: ``amount`` > 0 enters ``unit_id``, < 0 leaves it."""

    __table_args__ = (Index("ix_movement_unit_class", "unit_id", "class_id", "timestamp"),)
    chain_id: int = _key()
    block_number: int = _key()
    log_index: int = _key()
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    timestamp: int = Field(sa_type=BigInteger)
    kind: str  # input, ship, inventory, certificates, convert, claim, lapse
    unit_id: int
    counter_unit_id: int  # the other unit of a shipment or transfer, else 0
    class_id: int
    vintage: int = Field(sa_type=BigInteger)
    batch: int = Field(sa_type=BigInteger)
    amount: int = Field(sa_type=Amount)


class DailyFlow(SQLModel, table=True):
    """A unit's movements of a class summed per UTC day, kind, direction, vintage and counter
    unit: what a statement adds up (a projection of ``movement``, like ``balance``)."""

    __tablename__ = "daily_flow"
    unit_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    class_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: int = _key()  # UTC days since 1970
    kind: str = Field(primary_key=True)
    inflow: bool = Field(primary_key=True)  # amount > 0
    vintage: int = _key()
    counter_unit_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    amount: int = Field(sa_type=Amount)
