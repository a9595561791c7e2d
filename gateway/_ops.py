"""The ledger operations a party performs: request bodies, and what the gateway checks first.

Each ``plan_*`` function validates a body against the caller's rights and the chain views, and
returns the ``Plan`` (acting unit, contract function, arguments) the pipeline will sign. A check
that fails raises ``RequestRejected``/``AuthError`` with a stable code; nothing is stored then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts import split_token_id
from gateway._auth import Principal
from gateway._registry import Registry
from gateway._settings import GatewaySettings
from gateway._signers import SignerPool
from gateway._types import Bytes32Text, Grams, GramsOrZero, Hash32, Ref, TokenId
from gateway._views import LedgerViews, chain_time
from gateway.errors import AuthError, RequestRejected

__all__ = ["Context", "Plan"]

ROLE_ADMIN, ROLE_CERTIFIER, ROLE_AUDITOR, ROLE_MEMBER, ROLE_ORIGIN = 1, 2, 4, 8, 16
MASS_BALANCE, SEGREGATED, BOOK_AND_CLAIM = 0, 1, 2


@dataclass(frozen=True)
class Context:
    views: LedgerViews
    registry: Registry
    pool: SignerPool
    settings: GatewaySettings


@dataclass(frozen=True)
class Plan:
    unit_id: int  # the acting unit; 0 for party-level operations
    contract: str  # "Ledger", "Consortium" or "Catalog"
    fn: str
    args: tuple[Any, ...]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Line(Body):
    token_id: TokenId
    amount: Grams


class UnitBody(Body):
    unit: Ref = Field(
        description="the acting unit (id or registry name); must be the key's party's"
    )


class InputIn(UnitBody):
    credit_class: Ref = Field(alias="class")
    amount: Grams
    certificate: int = Field(ge=1, lt=2**32)
    evidence_hash: Hash32


class QuantityIn(UnitBody):
    product_group: Ref
    quantity: Grams
    document_hash: Hash32


class ShipmentIn(UnitBody):
    to_unit: Ref
    product_group: Ref
    quantity: Grams
    document_hash: Hash32
    order_ref: Bytes32Text
    product: Bytes32Text
    lines: list[Line]


class TransferIn(UnitBody):
    to_unit: Ref
    lines: list[Line]


class CertificateTransferIn(TransferIn):
    trade_ref: Bytes32Text


class ConversionIn(UnitBody):
    process: Ref
    factor_version: int = Field(ge=1, lt=2**32)
    lines: list[Line]


class ClaimIn(UnitBody):
    lines: list[Line]
    beneficiary: str = Field(min_length=1, max_length=200)
    product: Bytes32Text
    purpose: Bytes32Text


class LapseIn(UnitBody):
    token_ids: list[TokenId] = Field(min_length=1)


class PeriodCloseIn(UnitBody):
    credit_class: Ref = Field(alias="class")
    physical_stock: GramsOrZero


# ---- shared checks ---------------------------------------------------------------------------


async def acting_unit(ctx: Context, who: Principal, ref: Ref, role: int) -> int:
    """The unit ``ref`` if it is the caller's party's, active, with ``role``, and signable."""
    unit_id = ctx.registry.resolve("units", ref, "unit")
    unit = await ctx.views.unit(unit_id)
    if unit.party_id != who.party_id:
        raise AuthError(
            f"unit {unit_id} belongs to another party", error="ForeignUnit", field="unit"
        )
    if not unit.active:
        raise RequestRejected(f"party {who.party_id} is suspended", error="PartySuspended")
    if unit.roles & role == 0:
        raise AuthError(f"party {who.party_id} lacks role {role}", error="RoleMissing")
    ctx.pool.require(who.party_id, unit_id)
    return unit_id


async def recipient(ctx: Context, ref: Ref, field: str = "to_unit") -> tuple[int, Any]:
    unit_id = ctx.registry.resolve("units", ref, field)
    unit = await ctx.views.unit(unit_id, field)
    if not unit.active or unit.roles & ROLE_MEMBER == 0:
        raise RequestRejected(
            f"unit {unit_id}'s party is suspended or not a member",
            error="RecipientInactive",
            field=field,
        )
    return unit_id, unit


async def check_lines(
    ctx: Context,
    unit_id: int,
    lines: list[Line],
    *,
    use: str,
    expected: int = 0,
) -> int:
    """R1/R4/R5/R8 on credit lines, as far as views tell; returns the total credits."""
    if not lines or len(lines) > ctx.settings.max_lines:
        raise RequestRejected(
            f"between 1 and {ctx.settings.max_lines} lines", error="LinesInvalid", field="lines"
        )
    ids = [line.token_id for line in lines]
    if len(set(ids)) != len(ids):
        raise RequestRejected("a token id appears twice", error="LinesInvalid", field="lines")
    for i, line in enumerate(lines):
        tid, where = line.token_id, f"lines[{i}]"
        class_id, vintage, _ = split_token_id(tid)
        if tid >= 2**96:
            raise RequestRejected(f"{tid} is no token id", error="ClassUnknown", field=where)
        info = await ctx.views.class_info(class_id, where)
        model, group, window = info[2], info[1], info[5]
        if use == "ship" and model == BOOK_AND_CLAIM:
            raise RequestRejected(
                "book-and-claim credits never ship", error="ModelMismatch", field=where
            )
        if use == "ship" and group != expected:
            raise RequestRejected(
                f"credits of product group {group}, shipment of {expected}",
                error="ProductGroupMismatch",
                field=where,
            )
        if use == "trade" and model != BOOK_AND_CLAIM:
            raise RequestRejected(
                "only book-and-claim certificates move without a shipment",
                error="ModelMismatch",
                field=where,
            )
        if use == "convert" and class_id != expected:
            raise RequestRejected(
                f"class {class_id} is not the process input {expected}",
                error="ConversionInputMismatch",
                field=where,
            )
        if model == SEGREGATED and use != "claim" and tid != ids[0]:
            raise RequestRejected(
                "segregated lines must all be one batch", error="SegregationViolated", field=where
            )
        current = await ctx.views.current_period(class_id)
        if vintage + window <= current:
            raise RequestRejected(
                f"vintage {vintage} lapsed before period {current}",
                error="CreditsLapsed",
                field=where,
            )
        held = await ctx.views.balance(unit_id, tid)
        if held < line.amount:
            raise RequestRejected(
                f"unit {unit_id} holds {held} of {tid}, needs {line.amount}",
                error="CreditsInsufficient",
                field=where,
                details={"available": str(held), "required": str(line.amount)},
            )
    return sum(line.amount for line in lines)


def split(lines: list[Line]) -> tuple[list[int], list[int]]:
    return [x.token_id for x in lines], [x.amount for x in lines]


# ---- the party's ledger operations -------------------------------------------------------------


async def plan_input(ctx: Context, who: Principal, body: InputIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_ORIGIN)
    class_id = ctx.registry.resolve("classes", body.credit_class, "class")
    info = await ctx.views.class_info(class_id)
    cert = await ctx.views.certificate(body.certificate)
    holder, scheme, _, valid_from, valid_until, revoked, audited, used = cert[:8]
    now = await chain_time(ctx.views)
    if revoked or not valid_from <= now < valid_until:
        raise RequestRejected(
            f"certificate {body.certificate} is revoked or not valid now",
            error="CertificateNotValid",
            field="certificate",
        )
    covers_class, covers_unit = await ctx.views.covers(body.certificate, class_id, unit_id)
    if holder != who.party_id or scheme != info[0] or not covers_class or not covers_unit:
        raise RequestRejected(
            f"certificate {body.certificate} does not cover this party, scheme, class and unit",
            error="CertificateScope",
            field="certificate",
        )
    if audited and body.amount > audited - used:
        raise RequestRejected(
            f"{body.amount} g exceeds the certificate's remaining {audited - used} g",
            error="CertificateVolumeExceeded",
            field="amount",
        )
    if await ctx.views.evidence_used(body.evidence_hash):
        raise RequestRejected(
            "this evidence already created credits", error="EvidenceReused", field="evidence_hash"
        )
    args = (class_id, body.amount, body.certificate, body.evidence_hash)
    return Plan(unit_id, "Ledger", "recordInput", args)


async def _plan_quantity(ctx: Context, who: Principal, body: QuantityIn, fn: str) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    group = ctx.registry.resolve("product_groups", body.product_group, "product_group")
    await ctx.views.max_share(group)
    return Plan(unit_id, "Ledger", fn, (group, body.quantity, body.document_hash))


async def plan_conventional(ctx: Context, who: Principal, body: QuantityIn) -> Plan:
    return await _plan_quantity(ctx, who, body, "recordConventionalInput")


async def plan_production(ctx: Context, who: Principal, body: QuantityIn) -> Plan:
    return await _plan_quantity(ctx, who, body, "recordProduction")


async def plan_shipment(ctx: Context, who: Principal, body: ShipmentIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, _ = await recipient(ctx, body.to_unit)
    if to_unit == unit_id:
        raise RequestRejected(
            "a shipment goes to another unit", error="ShipmentToSelf", field="to_unit"
        )
    group = ctx.registry.resolve("product_groups", body.product_group, "product_group")
    share = await ctx.views.max_share(group)
    total = await check_lines(ctx, unit_id, body.lines, use="ship", expected=group)
    cap = body.quantity * share // 10_000
    if total > cap:
        raise RequestRejected(
            f"{total} credits exceed the cap {cap} ({share} bps of {body.quantity} g)",
            error="CapExceeded",
            field="lines",
            details={"credits": str(total), "cap": str(cap)},
        )
    ids, amounts = split(body.lines)
    request = (
        to_unit,
        group,
        body.quantity,
        body.document_hash,
        body.order_ref,
        body.product,
        ids,
        amounts,
    )
    return Plan(unit_id, "Ledger", "ship", (request,))


async def plan_inventory(ctx: Context, who: Principal, body: TransferIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, to = await recipient(ctx, body.to_unit)
    here = await ctx.views.unit(unit_id)
    if here.boundary_id == 0 or to.boundary_id != here.boundary_id or to_unit == unit_id:
        raise RequestRejected(
            "inventory moves only between units of one multi-site boundary",
            error="BoundaryViolation",
            field="to_unit",
        )
    await check_lines(ctx, unit_id, body.lines, use="transfer")
    return Plan(unit_id, "Ledger", "transferInventory", (to_unit, *split(body.lines)))


async def plan_certificates(ctx: Context, who: Principal, body: CertificateTransferIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, _ = await recipient(ctx, body.to_unit)
    if to_unit == unit_id:
        raise RequestRejected("transfer to another unit", error="ShipmentToSelf", field="to_unit")
    await check_lines(ctx, unit_id, body.lines, use="trade")
    args = (to_unit, body.trade_ref, *split(body.lines))
    return Plan(unit_id, "Ledger", "transferCertificates", args)


async def plan_conversion(ctx: Context, who: Principal, body: ConversionIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    process = ctx.registry.resolve("processes", body.process, "process")
    input_class = await ctx.views.factor_in_effect(process, body.factor_version, unit_id)
    await check_lines(ctx, unit_id, body.lines, use="convert", expected=input_class)
    return Plan(unit_id, "Ledger", "convert", (process, body.factor_version, *split(body.lines)))


async def plan_claim(ctx: Context, who: Principal, body: ClaimIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    await check_lines(ctx, unit_id, body.lines, use="claim")
    ids, amounts = split(body.lines)
    args = (ids, amounts, body.beneficiary, body.product, body.purpose)
    return Plan(unit_id, "Ledger", "claim", args)


async def plan_lapse(ctx: Context, who: Principal, body: LapseIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    if max(Counter(body.token_ids).values()) > 1 or len(body.token_ids) > ctx.settings.max_lines:
        raise RequestRejected(
            "repeated or too many token ids", error="LinesInvalid", field="token_ids"
        )
    for i, tid in enumerate(body.token_ids):
        where = f"token_ids[{i}]"
        class_id, vintage, _ = split_token_id(tid)
        info = await ctx.views.class_info(class_id, where)
        current = await ctx.views.current_period(class_id)
        if vintage + info[5] > current:
            raise RequestRejected(f"{tid} has not lapsed", error="CreditsNotLapsed", field=where)
        if await ctx.views.balance(unit_id, tid) == 0:
            raise RequestRejected(f"unit holds no {tid}", error="CreditsInsufficient", field=where)
    return Plan(unit_id, "Ledger", "lapse", (unit_id, list(body.token_ids)))


async def plan_close(ctx: Context, who: Principal, body: PeriodCloseIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    class_id = ctx.registry.resolve("classes", body.credit_class, "class")
    info = await ctx.views.class_info(class_id)
    if info[2] != MASS_BALANCE:
        raise RequestRejected(
            "periods are closed for mass-balance classes only", error="ModelMismatch", field="class"
        )
    return Plan(unit_id, "Ledger", "closePeriod", (class_id, body.physical_stock))
