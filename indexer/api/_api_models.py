"""Typed response models of the read API (OpenAPI documents every field and its unit).

Field names are the JSON keys, in the wire convention of both services (README, "API
conventions"; tests/test_wire.py walks the OpenAPI): snake_case; grams end in ``_g``, shares in
``_bps``, emission factors in ``_gco2e_per_kg``; dates are ISO-8601 UTC; periods and vintages
are labels (``2031-Q1``) with the index beside them only as ``*_index``; enumerations by name;
token ids decimal strings. Every model also passes on any field it does not declare
(``extra="allow"``), so a report never loses a figure.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AsOf",
    "Audit",
    "BalanceRow",
    "Balances",
    "DeclarationView",
    "ErrorBody",
    "Footprint",
    "MirrorStop",
    "Model",
    "Provenance",
    "ReductionCheck",
    "Statement",
    "Status",
    "Traceability",
    "VerificationView",
]


class Model(BaseModel):
    model_config = ConfigDict(extra="allow")


_Model = Model


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

    chain_id: int
    block_number: int
    block_hash: str


class MirrorStop(_Model):
    """Why the follower stopped (issue 26): the error it stopped on, at which block, when."""

    code: str = Field(examples=["TN-IX-500-03"])
    error: str = Field(examples=["ReorgTooDeep"])
    block: int | None = Field(description="the block it stopped at (the checkpoint)")
    message: str
    at: str | None = Field(description="when, ISO-8601 UTC")


class Status(AsOf):
    party_id: int = Field(description="the API key's party")
    auditor: bool = Field(description="the party holds the auditor role on chain")
    stopped: MirrorStop | None = Field(
        description="null while the follower follows the chain; else why it stopped: the "
        "mirror then holds what it had (maybe an abandoned fork, see as_of), every answer "
        "carries `X-Tracenet-Mirror: stopped; …` and the routes needing the head answer 503 "
        "TN-IX-503-05"
    )


class BalanceRow(_Model):
    unit_id: int
    class_id: int
    vintage: str = Field(description="label of the period the credits entered the unit")
    vintage_index: int = Field(description="the ledger's period index of the vintage")
    batch: int
    token_id: str = Field(description="ERC-1155 token id, decimal")
    amount_g: int = Field(description="grams")


class Balances(_Model):
    as_of: AsOf
    balances: list[BalanceRow]


class _Period(_Model):
    period: str = Field(description="period label, e.g. 2031-Q1")
    period_index: int = Field(description="the ledger's period index")


class EventRef(_Model):
    block_number: int
    log_index: int


class PeriodClose(_Model):
    book_stock_g: int
    physical_stock_g: int
    lapsed_g: int
    deviation_bps: int
    finding: bool = Field(description="deviation above 0.5 % (R4)")
    event: EventRef


class RollingShare(_Model):
    """R8: a rolling-average share the ledger applied (``RollingShareApplied``)."""

    operation: str = Field(description="shipment or claim")
    operation_id: int = Field(description="the shipment or claim id")
    share_bps: int = Field(description="the share in force, basis points (rounded down)")
    quantity_g: int = Field(description="grams of product")
    amount_g: int = Field(description="grams of credits carried: floor(share × quantity / 10 000)")
    window_sustainable_g: int = Field(description="grams of sustainable input in the window")
    window_total_g: int = Field(description="grams of input in the window")
    event: EventRef


class Inputs(_Model):
    sustainable_g: int
    conventional_g: int = Field(description="grams (physical)")


class CustomerCredits(_Model):
    unit_id: int
    credits_g: int


class Statement(_Period):
    """The mass-balance statement of a unit for one class and period (R1, R4, R9); grams."""

    as_of: AsOf
    unit_id: int
    class_id: int
    class_name: str
    period_months: int
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    model: str = Field(description="mass_balance, segregated or book_and_claim")
    attribution: str = Field(description="credit or rolling_average")
    opening_g: int
    inputs: Inputs
    received_g: int
    converted_in_g: int
    converted_out_g: int
    shipped_g: int
    returned_g: int = Field(
        default=0, description="issue 19: shipped credits that came back to the unit"
    )
    shipped_per_customer: list[CustomerCredits]
    transferred_out_g: int
    claimed_g: int
    lapsed_g: int
    closing_g: int
    carried_forward_g: int
    lapsing_at_period_end_g: int
    balanced: bool
    period_close: list[PeriodClose]
    rolling_shares: list[RollingShare] = Field(
        default_factory=list, description="R8: shares applied in the period (rolling average only)"
    )


class MaterialType(_Model):
    class_id: int
    name: str


class Customer(_Model):
    customer_unit_id: int
    customer_party_id: int | None
    customer_name: str
    shipments: int = Field(description="how many shipments")
    physical_g: int = Field(description="grams shipped")
    sustainable_g: int = Field(description="grams of credits shipped")
    conventional_g: int
    allocated_bps: int
    material_types: list[MaterialType]


class Traceability(_Model):
    """R10: per customer, physical, sustainable and conventional grams, classes, share."""

    as_of: AsOf
    unit_id: int
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    customers: list[Customer]


class Target(_Model):
    kind: str = Field(description="shipment or claim")
    id: int
    amount_g: int = Field(description="the target's credits traced")


class LineageNode(_Model):
    """An event on the lineage (input, shipment, transfer, trade, conversion, claim or
    unexplained) and its own credits that reach the target; the event's fields by kind."""

    key: str
    kind: str
    amount_g: int
    block_number: int | None = None
    log_index: int | None = None
    tx_hash: str | None = None
    time: str | None = Field(default=None, description="block time, ISO-8601 UTC")
    unit_id: int | None = None
    from_unit_id: int | None = None
    to_unit_id: int | None = None
    certificate_id: int | None = None
    certificate_number: str | None = None
    evidence_hash: str | None = None
    quantity_g: int | None = None
    document_hash: str | None = None
    process_id: int | None = None
    process: str | None = None
    factor_version: int | None = None
    yield_bps: int | None = None
    factor_evidence_hash: str | None = None
    beneficiary: str | None = None


class LineageEdge(_Model):
    source: str
    target: str
    token_id: str = Field(description="ERC-1155 token id, decimal")
    amount_g: int


class LineageOrigin(_Model):
    input_id: int
    unit_id: int
    token_id: str = Field(description="ERC-1155 token id, decimal")
    certificate_id: int
    certificate_number: str | None
    evidence_hash: str
    amount_g: int = Field(description="grams of the target's credits from this input")
    input_amount_g: int = Field(description="grams of credits the input created that they used")
    block_number: int
    tx_hash: str


class Lineage(_Model):
    """The lineage graph back to the certified inputs (pro rata), one shape in ``/provenance``
    and ``/verification``."""

    target: Target
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    origins: list[LineageOrigin]
    unexplained_g: int = Field(description="grams no input explains")


class Provenance(Lineage):
    """The lineage graph of a shipment or claim back to its certified inputs (pro rata)."""

    as_of: AsOf
    allocation_method: str
    depth: int


class Side(_Model):
    quantity_g: int
    footprint_gco2e_per_kg: int = Field(description="gCO2e per kg, rounded half up")


class Emissions(_Model):
    """Exact emissions, milligrams CO2e."""

    total_mgco2e: int
    lower_carbon_mgco2e: int
    higher_carbon_mgco2e: int


class Footprint(_Model):
    """R11: lower- and higher-carbon footprints and the unallocated weighted average."""

    as_of: AsOf
    product_group_id: int
    unit_id: int | None
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    process_gco2e_per_kg: int
    sustainable_input_g: int
    conventional_input_g: int
    weighted_average_gco2e_per_kg: int
    lower_carbon: Side
    higher_carbon: Side
    emissions: Emissions
    adds_up: bool
    method: str


class PeriodInputs(_Period):
    sustainable_g: int
    conventional_g: int
    share_bps: int


class ReductionCheck(_Model):
    """R12: a reduction claim from period A to B holds only if sustainable input grew."""

    as_of: AsOf
    class_id: int
    unit_id: int | None
    period_a: PeriodInputs
    period_b: PeriodInputs
    valid: bool
    reason: str


class AuditFigures(_Model):
    """R13's figures of one unit or of all (grams)."""

    created_g: int
    converted_in_g: int
    received_g: int
    sent_g: int
    claimed_g: int
    lapsed_g: int
    converted_out_g: int
    conversion_loss_g: int
    held_g: int
    returned_g: int = Field(
        default=0, description="issue 19: shipped credits that came back (rejected, recalled, "
        "settled as returned)",
    )  # fmt: skip


class AuditTotal(AuditFigures):
    in_transit_g: int = Field(
        default=0, description="issue 19: shipped, awaiting the recipient's acceptance: no unit's"
    )


class AuditUnit(AuditFigures):
    unit_id: int
    reconciles: bool


class FindingEvent(EventRef):
    operation: str | None = Field(default=None, description="the operation the event recorded")
    shipment_id: int | None = None
    claim_id: int | None = None
    conversion_id: int | None = None
    input_id: int | None = None


class Finding(_Model):
    kind: str = Field(description="what does not hold, in words")
    unit_id: int | None
    period: str | None = Field(default=None, description="period label (stock deviations)")
    period_index: int | None = None
    book_stock_g: int | None = None
    physical_stock_g: int | None = None
    deviation_bps: int | None = None
    events: list[FindingEvent]


class UnitHeld(_Model):
    unit_id: int
    held_g: int


class Audit(_Period):
    """R13: created = held + claimed + lapsed + converted out, per unit and in total (grams)."""

    report: str
    class_id: int
    class_name: str
    from_: str = Field(alias="from", description="ISO-8601 UTC, inclusive")
    to: str = Field(description="ISO-8601 UTC, exclusive")
    as_of: AsOf
    units: list[AuditUnit]
    total: AuditTotal
    reconciles: bool
    findings: list[Finding]
    held_at_checkpoint: list[UnitHeld] = Field(description="grams per unit at the checkpoint")


class Check(_Model):
    """One rule the chain-only verifier checked."""

    code: str
    rule: str
    subject: str = Field(description="the lineage node (or ``ledger``) it concerns")
    ok: bool
    warning: bool
    detail: str


class Verification(_Model):
    """The chain-only verifier's verdict on a claim or shipment, with its lineage graph (the
    shape of ``/provenance``'s)."""

    kind: str = Field(description="claim or shipment")
    id: int
    holds: bool
    failed: int = Field(description="how many checks failed")
    warnings: int = Field(description="how many checks warned")
    checks: list[Check]
    lineage: Lineage


class VerificationView(_Model):
    """A verdict by public reference (issue 25): the full view (``Verification``'s fields, for
    the party, its counterparty or an auditor) or the public view (the rules checked and the
    chain of custody by role, country, scheme and certificate status, names as disclosed)."""

    view: str = Field(description="full or public")
    kind: str = Field(description="claim or shipment")
    public_ref: str = Field(description="the public reference of the SD's link")
    holds: bool
    failed: int = Field(description="how many checks failed")
    warnings: int = Field(description="how many checks warned")
    checks: list[dict[str, object]]
    id: int | None = Field(None, description="full view only")
    lineage: Lineage | None = Field(None, description="full view only")
    rules_checked: list[str] | None = Field(None, description="public view only")
    chain_of_custody: list[dict[str, object]] | None = Field(None, description="public view only")
    unexplained_share_bps: int | None = Field(None, description="public view only")


class DeclarationView(_Model):
    """A shipment's SD by public reference: the full declaration (``Declaration``'s fields) or
    the public one, names and quantities only as their parties disclose them."""

    view: str = Field(description="full or public")
    public_ref: str | None = Field(None, description="the public reference of the SD's link")
    declaration: str | None = Field(None, description="the SD number")


class Declaration(_Model):
    """A shipment's Sustainability Declaration from the chain record (the SD's fields)."""

    declaration: str = Field(description="the SD number, SD-<chain id>-<shipment id>")
    shipment_id: int
    supplier: dict[str, object] | None
    recipient: dict[str, object] | None
    custody: list[dict[str, object]]
    recipient_final_claimant: bool
    dispatch_date: str = Field(description="ISO-8601 UTC")
    dispatch_address: str | None
    order_reference: str
    product: str
    product_group: dict[str, object]
    quantity_g: int
    credits_g: int
    sustainable_share_bps: int
    lines: list[dict[str, object]]
    classes: list[dict[str, object]]
    rolling_average: list[dict[str, object]]
    emission_factor_gco2e_per_kg: int | None
    conversion_factors_upstream: list[dict[str, object]]
    origins: list[dict[str, object]]
    document_hash: str
    transaction: dict[str, object]
