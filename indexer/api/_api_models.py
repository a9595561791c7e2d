"""Typed response models of the read API (OpenAPI documents every field and its unit).

Field names are the JSON keys (camelCase); grams end in ``G`` or are documented as grams, shares
in ``Bps``, emission factors in ``GPerKg``; dates are ISO-8601 UTC; periods are labels
(``2031-Q1``) with the index beside them; enumerations by name. Every model also passes on any
field it does not declare (``extra="allow"``), so a report never loses a figure.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AsOf",
    "Audit",
    "BalanceRow",
    "Balances",
    "ErrorBody",
    "Footprint",
    "MirrorStop",
    "Provenance",
    "ReductionCheck",
    "Statement",
    "Status",
    "Traceability",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    """Every error: a stable code from indexer/ERRORS.md, the rule's name, the field, a message
    and the decoded arguments (the gateway's body)."""

    code: str = Field(examples=["TN-IX-404-02"])
    error: str = Field(examples=["UnitUnknown"])
    field: str | None
    message: str
    args: dict[str, object]


class AsOf(_Model):
    """The mirror's checkpoint a report is computed at."""

    chainId: int
    blockNumber: int
    blockHash: str


class MirrorStop(_Model):
    """Why the follower stopped (issue 26): the error it stopped on, at which block, when."""

    code: str = Field(examples=["TN-IX-500-03"])
    error: str = Field(examples=["ReorgTooDeep"])
    block: int | None = Field(description="the block it stopped at (the checkpoint)")
    message: str
    at: str | None = Field(description="when, ISO-8601 UTC")


class Status(AsOf):
    partyId: int = Field(description="the API key's party")
    auditor: bool = Field(description="the party holds the auditor role on chain")
    stopped: MirrorStop | None = Field(
        description="null while the follower follows the chain; else why it stopped: the "
        "mirror then holds what it had (maybe an abandoned fork, see asOf), every answer "
        "carries `X-Tracenet-Mirror: stopped; …` and the routes needing the head answer 503 "
        "TN-IX-503-05"
    )


class BalanceRow(_Model):
    unitId: int
    classId: int
    vintage: int = Field(description="period index the credits entered the unit")
    batch: int
    tokenId: str = Field(description="ERC-1155 token id, decimal")
    amount: int = Field(description="grams")


class Balances(_Model):
    asOf: AsOf
    balances: list[BalanceRow]


class _Period(_Model):
    period: str = Field(description="period label, e.g. 2031-Q1")
    periodIndex: int = Field(description="the ledger's period index")


class PeriodClose(_Model):
    bookStock: int = Field(description="grams")
    physicalStock: int = Field(description="grams")
    lapsed: int = Field(description="grams")
    deviationBps: int
    finding: bool = Field(description="deviation above 0.5 % (R4)")
    event: dict[str, int]


class RollingShare(_Model):
    """R8: a rolling-average share the ledger applied (``RollingShareApplied``)."""

    operation: str = Field(description="shipment or claim")
    operationId: int = Field(description="the shipment or claim id")
    shareBps: int = Field(description="the share in force, basis points (rounded down)")
    quantity: int = Field(description="grams of product")
    amount: int = Field(description="grams of credits carried: floor(share × quantity / 10 000)")
    windowSustainable: int = Field(description="grams of sustainable input in the window")
    windowTotal: int = Field(description="grams of input in the window")
    event: dict[str, int]


class Inputs(_Model):
    sustainable: int = Field(description="grams")
    conventional: int = Field(description="grams (physical)")


class Statement(_Period):
    """The mass-balance statement of a unit for one class and period (R1, R4, R9); grams."""

    asOf: AsOf
    unitId: int
    classId: int
    className: str
    periodMonths: int
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    model: str = Field(description="mass_balance, segregated or book_and_claim")
    attribution: str = Field(description="credit or rolling_average")
    opening: int
    inputs: Inputs
    received: int
    convertedIn: int
    convertedOut: int
    shipped: int
    shippedPerCustomer: list[dict[str, int]]
    transferredOut: int
    claimed: int
    lapsed: int
    closing: int
    carriedForward: int
    lapsingAtPeriodEnd: int
    balanced: bool
    periodClose: list[PeriodClose]
    rollingShares: list[RollingShare] = Field(
        default_factory=list, description="R8: shares applied in the period (rolling average only)"
    )


class MaterialType(_Model):
    classId: int
    name: str


class Customer(_Model):
    customerUnitId: int
    customerPartyId: int | None
    customerName: str
    shipments: int
    physical: int = Field(description="grams shipped")
    sustainable: int = Field(description="grams of credits shipped")
    conventional: int = Field(description="grams")
    allocatedBps: int
    materialTypes: list[MaterialType]


class Traceability(_Model):
    """R10: per customer, physical, sustainable and conventional grams, classes, share."""

    asOf: AsOf
    unitId: int
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    customers: list[Customer]


class Target(_Model):
    kind: str = Field(description="shipment or claim")
    id: int
    grams: int


class Provenance(_Model):
    """The lineage graph of a shipment or claim back to its certified inputs (pro rata)."""

    asOf: AsOf
    target: Target
    allocationMethod: str
    depth: int
    nodes: list[dict[str, object]]
    edges: list[dict[str, object]]
    origins: list[dict[str, object]]
    unexplained: int = Field(description="grams no input explains")


class Side(_Model):
    quantityG: int
    footprintGPerKg: int = Field(description="gCO2e per kg, rounded half up")


class Footprint(_Model):
    """R11: lower- and higher-carbon footprints and the unallocated weighted average."""

    asOf: AsOf
    productGroupId: int
    unitId: int | None
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    processGPerKg: int
    sustainableInputG: int
    conventionalInputG: int
    weightedAverageGPerKg: int
    lowerCarbon: Side
    higherCarbon: Side
    emissionsMg: dict[str, int] = Field(description="exact emissions, milligrams CO2e")
    addsUp: bool
    method: str


class PeriodInputs(_Period):
    sustainable: int = Field(description="grams")
    conventional: int = Field(description="grams")
    shareBps: int


class ReductionCheck(_Model):
    """R12: a reduction claim from period A to B holds only if sustainable input grew."""

    asOf: AsOf
    classId: int
    unitId: int | None
    periodA: PeriodInputs
    periodB: PeriodInputs
    valid: bool
    reason: str


class Audit(_Period):
    """R13: created = held + claimed + lapsed + converted out, per unit and in total (grams)."""

    report: str
    classId: int
    className: str
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    asOf: AsOf
    units: list[dict[str, object]]
    total: dict[str, int]
    reconciles: bool
    findings: list[dict[str, object]]
    heldAtCheckpoint: dict[int, int] = Field(description="grams per unit id")
