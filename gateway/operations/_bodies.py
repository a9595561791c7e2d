"""Request bodies of the party's ledger operations (validated by pydantic before any check).

Units, classes, product groups, processes and certificates are references: a registry key or a
numeric id (a certificate also by its number as registered on chain).
Amounts are integer grams, their wire keys ending in ``_g`` (``amount_g``, ``quantity_g``: the
attribute without it, the bare name accepted as an alternative input only), at most
``MAX_QUANTITY_G``; texts refuse control characters.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tracenet.gateway.operations._types import (
    Bytes32Text,
    Grams,
    GramsOrZero,
    Hash32,
    Ref,
    Text,
    TokenId,
)

__all__ = [
    "Body",
    "CertificateTransferIn",
    "ClaimIn",
    "ConversionIn",
    "InputIn",
    "LapseIn",
    "Line",
    "PeriodCloseIn",
    "QuantityIn",
    "SettleIn",
    "ShipmentIn",
    "ShipmentRefIn",
    "ShipmentRejectIn",
    "TransferIn",
    "UnitBody",
]

#: Most lines a body may carry at all (the gateway's ``max_lines`` setting is the real limit).
MAX_LINES = 1_000


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Line(Body):
    token_id: TokenId = Field(description="class << 64 | vintage << 32 | batch")
    amount: Grams = Field(alias="amount_g", description="grams of credits")


class UnitBody(Body):
    unit: Ref = Field(description="the acting unit (registry key or id); must be the key's party's")


class InputIn(UnitBody):
    credit_class: Ref = Field(alias="class", description="credit class (registry key or id)")
    amount: Grams = Field(alias="amount_g", description="grams of certified input")
    certificate: Ref = Field(
        description="the certificate: its number as registered (ISCC-PLUS-Cert-DE100-00001), "
        "its registry key or its id"
    )
    evidence_hash: Hash32


class QuantityIn(UnitBody):
    product_group: Ref
    quantity: Grams = Field(alias="quantity_g", description="grams")
    document_hash: Hash32


class ShipmentIn(UnitBody):
    to_unit: Ref
    product_group: Ref
    quantity: Grams = Field(alias="quantity_g", description="grams physically delivered")
    document_hash: Hash32
    order_ref: Bytes32Text
    product: Bytes32Text
    lines: list[Line] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="credits shipped with the delivery; none: a conventional delivery",
    )


class TransferIn(UnitBody):
    to_unit: Ref
    lines: list[Line] = Field(max_length=MAX_LINES)


class CertificateTransferIn(TransferIn):
    trade_ref: Bytes32Text


class ConversionIn(UnitBody):
    process: Ref
    factor_version: int = Field(
        ge=0, le=2**32 - 1, description="the factor version in effect (the chain counts from 0)"
    )
    lines: list[Line] = Field(max_length=MAX_LINES)


class ClaimIn(UnitBody):
    lines: list[Line] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="credits retired; for a rolling-average class may be omitted (the gateway "
        "takes the share in force of `quantity_g`, oldest vintage first)",
    )
    credit_class: Ref | None = Field(
        default=None, alias="class",
        description="R8: the rolling-average class claimed (registry key or id); with `quantity_g`",
    )  # fmt: skip
    quantity: Grams | None = Field(
        default=None,
        alias="quantity_g",
        description="R8: grams of claimed product the rolling-average share applies to",
    )
    beneficiary: Text
    product: Bytes32Text
    purpose: Bytes32Text


class LapseIn(Body):
    unit: Ref = Field(
        description="the unit holding the lapsed credits: any party's (R4: anyone may retire "
        "credits past their allocation window); signed with any key of the caller's party"
    )
    token_ids: list[TokenId] = Field(min_length=1, max_length=MAX_LINES)


class PeriodCloseIn(UnitBody):
    credit_class: Ref = Field(alias="class")
    physical_stock: GramsOrZero = Field(
        alias="physical_stock_g", description="grams in stock at the period's end"
    )


ShipmentId = Field(ge=1, le=2**64 - 1, description="the shipment's id (its SD number: SD-…-id)")


class ShipmentRefIn(UnitBody):
    """Issue 19: the recipient accepts, or the sender recalls, a shipment awaiting acceptance."""

    shipment: int = ShipmentId


class ShipmentRejectIn(ShipmentRefIn):
    reason: Text = Field(description="why the recipient refuses the delivery (shown to the sender)")


class SettleIn(Body):
    shipment: int = Field(
        ge=1, le=2**64 - 1,
        description="a shipment whose acceptance window has passed: anyone may settle it",
    )  # fmt: skip
