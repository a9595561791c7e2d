"""``plan_*``: one per ledger operation of a party's unit; checks first, then the call to sign."""

from __future__ import annotations

from collections import Counter

from tracenet.contracts import CertificateStatus, Model, split_token_id
from tracenet.contracts import records as R
from tracenet.gateway.errors import RequestRejected
from tracenet.gateway.operations._bodies import (
    CertificateTransferIn,
    ClaimIn,
    ConversionIn,
    InputIn,
    LapseIn,
    PeriodCloseIn,
    QuantityIn,
    ShipmentIn,
    TransferIn,
)
from tracenet.gateway.operations._ops import (
    ROLE_MEMBER,
    ROLE_ORIGIN,
    Context,
    Plan,
    acting_unit,
    check_lines,
    check_scope,
    recipient,
    split,
)
from tracenet.gateway.operations._principal import Principal
from tracenet.gateway.operations._rolling import plan_rolling_claim, rolling_lines
from tracenet.gateway.pipeline._views import chain_time
from tracenet.kit import iso_time as _iso

__all__ = [
    "plan_certificates", "plan_claim", "plan_close", "plan_conventional", "plan_conversion",
    "plan_input", "plan_inventory", "plan_lapse", "plan_production", "plan_shipment",
]  # fmt: skip


async def _certificate_rules(
    ctx: Context, who: Principal, body: InputIn, class_id: int, unit_id: int
) -> int:
    """R3: the certificate is valid now, the caller's, of the class's scheme, covers both;
    its id."""
    info = await ctx.views.class_info(class_id)
    cid = await ctx.resolve("certificates", body.certificate, "certificate")
    cert = await ctx.views.certificate(cid)
    holder, scheme, status = cert.holder_party_id, cert.scheme_id, cert.status
    valid_from, valid_until = cert.valid_from, cert.valid_until
    audited, used = cert.audited_volume, cert.used_volume
    number = f"certificate {cert.number} (id {cid})"
    now = await chain_time(ctx.views)
    if status != CertificateStatus.valid:
        stated = CertificateStatus(status).name
        raise RequestRejected(
            f"{number} is {stated} since {_iso(cert.status_since)}",
            error="CertificateNotInForce", field="certificate",
            args={"certificateId": cid, "status": status, "since": cert.status_since},
        )  # fmt: skip
    if not valid_from <= now < valid_until:
        case = "expired" if now >= valid_until else "not valid yet"
        raise RequestRejected(
            f"{number} is {case}: valid from {_iso(valid_from)} until {_iso(valid_until)}, "
            f"it is {_iso(now)}",
            error="CertificateNotValid", field="certificate",
            args={"certificateId": cid, "timestamp": now, "validFrom": valid_from,
                  "validUntil": valid_until},
        )  # fmt: skip
    if holder != who.party_id:
        raise RequestRejected(
            f"{number} is {ctx.party(holder)}'s", error="CertificateHolderMismatch",
            field="certificate", args={"certificateId": cid, "partyId": who.party_id},
        )  # fmt: skip
    if scheme != info.scheme_id:
        raise RequestRejected(
            f"{number} is of {ctx.registry.label('schemes', scheme)}, the class of "
            f"{ctx.registry.label('schemes', info.scheme_id)}", error="CertificateSchemeMismatch",
            field="certificate", args={"certificateId": cid, "schemeId": info.scheme_id},
        )  # fmt: skip
    covers_class, covers_unit = await ctx.views.covers(cid, class_id, unit_id)
    if not covers_class:
        raise RequestRejected(
            f"{number} does not cover {ctx.registry.label('classes', class_id)}",
            error="CertificateScopeClass", field="class",
            args={"certificateId": cid, "classId": class_id},
        )  # fmt: skip
    if not covers_unit:
        raise RequestRejected(
            f"{number} does not cover {ctx.unit(unit_id)}", error="CertificateScopeUnit",
            field="unit", args={"certificateId": cid, "unitId": unit_id},
        )  # fmt: skip
    if audited and body.amount > audited - used:
        raise RequestRejected(
            f"{body.amount} g exceed the {audited - used} g left on {number}",
            error="CertificateVolumeExceeded", field="amount_g",
            args={"certificateId": cid, "requested": body.amount, "remaining": audited - used},
        )  # fmt: skip
    return cid


async def plan_input(ctx: Context, who: Principal, body: InputIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_ORIGIN)
    class_id = ctx.registry.resolve("classes", body.credit_class, "class")
    cert_id = await _certificate_rules(ctx, who, body, class_id, unit_id)
    if await ctx.views.evidence_used(body.evidence_hash):
        raise RequestRejected(
            "this evidence already created credits", error="InputEvidenceReused",
            field="evidence_hash", args={"evidenceHash": body.evidence_hash},
        )  # fmt: skip
    return Plan.of(
        unit_id,
        R.RecordInput(
            class_id=class_id, amount=body.amount, certificate_id=cert_id,
            evidence_hash=body.evidence_hash,
        ),
    )  # fmt: skip


async def _plan_quantity(
    ctx: Context,
    who: Principal,
    body: QuantityIn,
    op: type[R.RecordConventionalInput | R.RecordProduction],
) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    group = ctx.registry.resolve("product_groups", body.product_group, "product_group")
    await ctx.views.max_share(group)
    return Plan.of(
        unit_id,
        op(product_group_id=group, quantity=body.quantity, document_hash=body.document_hash),
    )


async def plan_conventional(ctx: Context, who: Principal, body: QuantityIn) -> Plan:
    return await _plan_quantity(ctx, who, body, R.RecordConventionalInput)


async def plan_production(ctx: Context, who: Principal, body: QuantityIn) -> Plan:
    return await _plan_quantity(ctx, who, body, R.RecordProduction)


async def plan_shipment(ctx: Context, who: Principal, body: ShipmentIn) -> Plan:
    """A delivery with credits, or without any (a conventional delivery, R10)."""
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, _ = await recipient(ctx, body.to_unit)
    if to_unit == unit_id:
        raise RequestRejected(
            f"a shipment goes to another unit than {ctx.unit(unit_id)}", error="ShipmentToSelf",
            field="to_unit", args={"unitId": unit_id},
        )  # fmt: skip
    group = ctx.registry.resolve("product_groups", body.product_group, "product_group")
    share = await ctx.views.max_share(group)
    await check_scope(ctx, unit_id, group, "product_group")
    # R8: each rolling-average class of the group carries the unit's share
    # (gateway/operations/_rolling.py).
    lines = list(body.lines)
    for rc in await ctx.views.rolling_classes(group):
        lines = [x for x in lines if split_token_id(x.token_id)[0] != rc.class_id]
        lines += await rolling_lines(ctx, unit_id, rc, body.quantity, body.lines)
    total = await check_lines(ctx, unit_id, lines, use="ship", expected=group, allow_empty=True)
    cap = body.quantity * share // 10_000
    if total > cap:
        raise RequestRejected(
            f"{total} g of credits exceed the cap of {cap} g ({share} bps of {body.quantity} g)",
            error="CapExceeded", field="lines", args={"credits": total, "cap": cap},
        )  # fmt: skip
    ids, amounts = split(lines)
    return Plan.of(
        unit_id,
        R.Ship(
            to_unit_id=to_unit, product_group_id=group, quantity=body.quantity,
            document_hash=body.document_hash, order_ref=body.order_ref, product=body.product,
            token_ids=tuple(ids), amounts=tuple(amounts),
        ),
    )  # fmt: skip


async def plan_inventory(ctx: Context, who: Principal, body: TransferIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, to = await recipient(ctx, body.to_unit)
    here = await ctx.views.unit(unit_id)
    if here.boundary_id == 0 or to.boundary_id != here.boundary_id or to_unit == unit_id:
        raise RequestRejected(
            f"inventory moves only between units of one multi-site boundary: "
            f"{ctx.unit(unit_id)} and {ctx.unit(to_unit)} are not",
            error="BoundaryViolation", field="to_unit",
            args={"fromUnitId": unit_id, "toUnitId": to_unit},
        )  # fmt: skip
    await check_lines(ctx, unit_id, body.lines, use="transfer")
    ids, amounts = split(body.lines)
    op = R.TransferInventory(to_unit_id=to_unit, token_ids=tuple(ids), amounts=tuple(amounts))
    return Plan.of(unit_id, op)


async def plan_certificates(ctx: Context, who: Principal, body: CertificateTransferIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    to_unit, _ = await recipient(ctx, body.to_unit)
    if to_unit == unit_id:
        raise RequestRejected(
            f"a transfer goes to another unit than {ctx.unit(unit_id)}", error="ShipmentToSelf",
            field="to_unit", args={"unitId": unit_id},
        )  # fmt: skip
    await check_lines(ctx, unit_id, body.lines, use="trade")
    ids, amounts = split(body.lines)
    return Plan.of(
        unit_id,
        R.TransferCertificates(
            to_unit_id=to_unit, trade_ref=body.trade_ref, token_ids=tuple(ids),
            amounts=tuple(amounts),
        ),
    )  # fmt: skip


async def plan_conversion(ctx: Context, who: Principal, body: ConversionIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    process = ctx.registry.resolve("processes", body.process, "process")
    input_class = await ctx.views.factor_in_effect(process, body.factor_version, unit_id)
    await check_lines(ctx, unit_id, body.lines, use="convert", expected=input_class)
    ids, amounts = split(body.lines)
    return Plan.of(
        unit_id,
        R.Convert(
            process_id=process, factor_version=body.factor_version, token_ids=tuple(ids),
            amounts=tuple(amounts),
        ),
    )  # fmt: skip


async def plan_claim(ctx: Context, who: Principal, body: ClaimIn) -> Plan:
    """A claim; with ``class`` and ``quantity``, of a rolling-average class (R8): its lines are
    the unit's share in force of the claimed product quantity, computed when omitted."""
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    if body.credit_class is not None or body.quantity is not None:
        return await plan_rolling_claim(ctx, unit_id, body)
    await check_lines(ctx, unit_id, body.lines, use="claim")
    ids, amounts = split(body.lines)
    return Plan.of(
        unit_id,
        R.Claim(
            token_ids=tuple(ids), amounts=tuple(amounts), beneficiary=body.beneficiary,
            product=body.product, purpose=body.purpose,
        ),
    )  # fmt: skip


async def plan_lapse(ctx: Context, who: Principal, body: LapseIn) -> Plan:
    """R4: anyone may retire another unit's credits past their window; any key of the caller's
    party signs (the ledger's ``lapse`` checks no role)."""
    ctx.pool.require(who.party_id, 0, any_unit=True)
    unit_id = ctx.registry.resolve("units", body.unit, "unit")
    await ctx.views.unit(unit_id)
    if max(Counter(body.token_ids).values()) > 1 or len(body.token_ids) > ctx.settings.max_lines:
        raise RequestRejected(
            "repeated or too many token ids", error="LinesInvalid", field="token_ids",
            args={"tokenIds": len(body.token_ids), "amounts": len(body.token_ids)},
        )  # fmt: skip
    for i, tid in enumerate(body.token_ids):
        where = f"token_ids[{i}]"
        class_id, vintage, _ = split_token_id(tid)
        info = await ctx.views.class_info(class_id, where)
        current = await ctx.views.current_period(class_id)
        if vintage + info.window_periods > current:
            raise RequestRejected(
                f"{ctx.credits(tid, info)} are still in their allocation window",
                error="CreditsNotLapsed", field=where,
                args={"tokenId": tid, "lapsesAt": vintage + info.window_periods},
            )  # fmt: skip
        if await ctx.views.balance(unit_id, tid) == 0:
            raise RequestRejected(
                f"{ctx.unit(unit_id)} holds no {ctx.credits(tid, info)}", error="CreditsNone",
                field=where, args={"unitId": unit_id, "tokenId": tid},
            )  # fmt: skip
    return Plan.of(0, R.Lapse(unit_id=unit_id, token_ids=tuple(body.token_ids)))


async def plan_close(ctx: Context, who: Principal, body: PeriodCloseIn) -> Plan:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    class_id = ctx.registry.resolve("classes", body.credit_class, "class")
    info = await ctx.views.class_info(class_id)
    if info.model != Model.mass_balance:
        raise RequestRejected(
            f"periods are closed for mass-balance classes only, "
            f"{ctx.registry.label('classes', class_id)} is {info.model.name}",
            error="PeriodCloseModel", field="class",
            args={"classId": class_id, "model": int(info.model)},
        )  # fmt: skip
    return Plan.of(unit_id, R.ClosePeriod(class_id=class_id, physical_stock=body.physical_stock))
