"""Operations of the certification-body role and of the consortium admin role.

Both act at party level (acting unit 0): signed by a party-level key of the caller's party, or
any key of it when it has none. The role is checked against the chain before anything is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from tracenet.contracts import (
    MAX_ACCEPTANCE_WINDOW_S,
    MAX_QUANTITY_G,
    AcceptanceMode,
    Attribution,
    CertificateStatus,
    Custody,
    Model,
    RawMaterial,
    Role,
    SettleMode,
)
from tracenet.gateway.errors import AuthError, RequestRejected
from tracenet.gateway.operations._bodies import Body
from tracenet.gateway.operations._ops import ROLE_ADMIN, ROLE_CERTIFIER, Context, Plan
from tracenet.gateway.operations._principal import Principal
from tracenet.gateway.operations._types import (
    Hash32,
    Name,
    OptionalText,
    Ref,
    Roles,
    Text,
    Timestamp,
    enum_by_name,
)
from tracenet.kit import iso_time as _iso

__all__ = ["acting_party"]

Uint32 = Annotated[int, Field(ge=0, lt=2**32)]
Uint64 = Annotated[int, Field(ge=0, lt=2**64)]


async def acting_party(ctx: Context, who: Principal, role: int) -> None:
    roles, active = await ctx.views.party(who.party_id)
    if not active:
        raise RequestRejected(
            f"{ctx.party(who.party_id)} is suspended", error="PartyIsSuspended",
            args={"partyId": who.party_id},
        )  # fmt: skip
    if roles & role == 0:
        either = " or ".join(str(r.name) for r in Role if role & r)
        raise AuthError(
            f"{ctx.party(who.party_id)} lacks the {either} role",
            error="AccessRoleMissing", status=403, args={"partyId": who.party_id, "role": role},
        )  # fmt: skip
    ctx.pool.require(who.party_id, 0, any_unit=True)


# ---- certification body --------------------------------------------------------------------------


class CertificateIn(Body):
    holder: Ref
    scheme: Ref
    number: Name
    valid_from: Timestamp
    valid_until: Timestamp
    audited_volume: int = Field(
        default=0, ge=0, le=MAX_QUANTITY_G, alias="audited_volume_g",
        description="grams; 0: no volume cap",
    )  # fmt: skip
    classes: list[Ref] = Field(min_length=1, max_length=64)
    units: list[Ref] = Field(min_length=1, max_length=64)


#: The statuses a certification body states (``expired`` is by date, never stated).
_STATED = [s for s in CertificateStatus if s is not CertificateStatus.expired]


class CertificateStatusIn(Body):
    status: enum_by_name(CertificateStatus) = Field(  # type: ignore[valid-type]
        description="valid (a suspended certificate's reinstatement), suspended, withdrawn or "
        "terminated (both final)"
    )
    effective_at: Timestamp = Field(
        description="when the status takes effect: not after now, not before the last change"
    )
    reason: Text = Field(description="why, in a sentence")


class CertificateStatusItem(CertificateStatusIn):
    """A status as a batch item (``certificate-status``): the certificate is in the body."""

    certificate: Ref


async def plan_certificate_status_item(
    ctx: Context, who: Principal, body: CertificateStatusItem
) -> Plan:
    return await plan_certificate_status(ctx, who, body.certificate, body)


class ProcessIn(Body):
    unit: Ref
    input_class: Ref
    output_class: Ref
    name: Name


class FactorIn(Body):
    yield_bps: int = Field(ge=1, le=10_000, description="output grams per 10,000 input grams")
    effective_from: Timestamp
    evidence_hash: Hash32


async def plan_certificate(ctx: Context, who: Principal, body: CertificateIn) -> Plan:
    await acting_party(ctx, who, ROLE_CERTIFIER)
    r = ctx.registry
    holder = r.resolve("parties", body.holder, "holder")
    await ctx.views.party(holder, "holder")
    scheme = r.resolve("schemes", body.scheme, "scheme")
    await ctx.views.scheme(scheme)
    if body.valid_from >= body.valid_until:
        raise RequestRejected("valid_from must precede valid_until", field="valid_until")
    existing = await ctx.views.certificate_by_number(scheme, body.number)
    if existing:
        raise RequestRejected(
            f"scheme {ctx.registry.label('schemes', scheme)} already has certificate "
            f"{body.number} (id {existing})",
            error="CertificateNumberTaken", field="number",
            args={"schemeId": scheme, "number": body.number, "existingId": existing},
        )  # fmt: skip
    classes = [r.resolve("classes", c, f"classes[{i}]") for i, c in enumerate(body.classes)]
    for i, c in enumerate(classes):
        await ctx.views.class_info(c, f"classes[{i}]")
    units = [r.resolve("units", u, f"units[{i}]") for i, u in enumerate(body.units)]
    for i, u in enumerate(units):
        if (await ctx.views.unit(u, f"units[{i}]")).party_id != holder:
            raise RequestRejected(f"unit {u} is not the holder's", field=f"units[{i}]")
    args = (
        holder, scheme, body.number, body.valid_from, body.valid_until, body.audited_volume,
        classes, units,
    )  # fmt: skip
    return Plan(0, "Consortium", "registerCertificate", args)


async def plan_certificate_status(
    ctx: Context, who: Principal, ref: Ref, body: CertificateStatusIn
) -> Plan:
    """Suspend, reinstate, withdraw or terminate (issue 20): the chain's rules, before signing."""
    await acting_party(ctx, who, ROLE_CERTIFIER)
    certificate = await ctx.resolve("certificates", ref, "certificate")
    cert = await ctx.views.certificate(certificate, fresh=True)
    label = f"certificate {cert.number} (id {certificate})"
    if cert.certifier_party_id != who.party_id:
        raise AuthError(
            f"only the issuing body {ctx.party(cert.certifier_party_id)} states the status of "
            f"{label}",
            error="CertificateNotIssuer", status=403,
            args={"certificateId": certificate, "partyId": who.party_id},
        )  # fmt: skip
    status, current = CertificateStatus(body.status), CertificateStatus(cert.status)
    if status not in _STATED:
        raise RequestRejected(
            "expired is by date, never stated", error="CertificateStatusUnknown",
            field="status", args={"status": int(status)},
        )  # fmt: skip
    if current in (CertificateStatus.withdrawn, CertificateStatus.terminated):
        raise RequestRejected(
            f"{label} is {current.name}: that is final", error="CertificateStatusFinal",
            field="status", args={"certificateId": certificate, "status": int(current)},
        )  # fmt: skip
    if status == current:
        raise RequestRejected(
            f"{label} is {current.name} already", error="CertificateStatusUnchanged",
            field="status", args={"certificateId": certificate, "status": int(current)},
        )  # fmt: skip
    now = await ctx.views.chain.timestamp()  # uncached: the status may be dated this very block
    if not cert.status_since <= body.effective_at <= now:
        raise RequestRejected(
            f"the effective date of a status of {label} lies between its last change "
            f"({_iso(cert.status_since)}) and now ({_iso(now)})",
            error="CertificateStatusDate", field="effective_at",
            args={"certificateId": certificate, "effectiveAt": body.effective_at,
                  "earliest": cert.status_since, "latest": now},
        )  # fmt: skip
    args = (certificate, int(status), body.effective_at, body.reason)
    return Plan(0, "Consortium", "setCertificateStatus", args)


async def plan_process(ctx: Context, who: Principal, body: ProcessIn) -> Plan:
    await acting_party(ctx, who, ROLE_CERTIFIER)
    unit = ctx.registry.resolve("units", body.unit, "unit")
    await ctx.views.unit(unit)
    a = ctx.registry.resolve("classes", body.input_class, "input_class")
    b = ctx.registry.resolve("classes", body.output_class, "output_class")
    ia = await ctx.views.class_info(a, "input_class")
    ib = await ctx.views.class_info(b, "output_class")
    if ia.model != ib.model:
        raise RequestRejected(
            "the input and output classes follow other chain-of-custody models",
            error="ProcessModelMismatch", field="output_class",
            args={"inputClassId": a, "outputClassId": b},
        )  # fmt: skip
    return Plan(0, "Catalog", "registerProcess", (unit, a, b, body.name))


async def plan_factor(ctx: Context, who: Principal, process: Ref, body: FactorIn) -> Plan:
    await acting_party(ctx, who, ROLE_CERTIFIER)
    pid = ctx.registry.resolve("processes", process, "process")
    await ctx.views.process(pid)
    args = (pid, body.yield_bps, body.effective_from, body.evidence_hash)
    return Plan(0, "Catalog", "registerFactor", args)


# ---- consortium admin -------------------------------------------------------------------------


class PartyIn(Body):
    name: Name
    identifier: Hash32 | None = None
    roles: Roles


class RolesIn(Body):
    roles: Roles


class BoundaryIn(Body):
    party: Ref
    name: Name


class UnitIn(Body):
    party: Ref
    boundary: Ref = Field(
        default=0, description="the multi-site boundary (registry key or id); 0: none"
    )
    name: Name
    location: OptionalText = ""


class SignerIn(Body):
    address: Annotated[str, StringConstraints(pattern="^0x[0-9a-fA-F]{40}$")]
    party: Ref
    unit: Ref = 0


class SchemeIn(Body):
    name: Name
    max_period_months: int = Field(ge=1, le=12)


class SchemeCustodyIn(Body):
    custody: enum_by_name(Custody) = Field(  # type: ignore[valid-type]
        description="the certified chain of custody the scheme requires (issue 13): none, "
        "certified_final_claimant_exempt or certified"
    )


class SchemeAcceptanceIn(Body):
    """Issue 19: whether shipments of the scheme's credits need the recipient's acceptance."""

    acceptance: enum_by_name(AcceptanceMode) = Field(  # type: ignore[valid-type]
        description="none: a shipment credits the recipient at once; required: it waits in "
        "transit until the recipient accepts or rejects it, the sender recalls it, or its "
        "window passes"
    )
    window_seconds: int = Field(
        default=0, ge=0, le=MAX_ACCEPTANCE_WINDOW_S,
        description="the acceptance window, seconds (72 h: 259200); 0 with `none`",
    )  # fmt: skip
    settle: enum_by_name(SettleMode) = Field(  # type: ignore[valid-type]
        default=SettleMode.accepted,
        description="what settling after the window does: accepted or returned (to the sender)",
    )


class UnitScopeIn(Body):
    product_group: Ref = Field(description="the product group (registry key or id)")
    in_scope: bool = Field(
        description="true: the unit may make, receive, ship and claim the group's products "
        "(R7); false: it may no longer"
    )


class ProductGroupIn(Body):
    name: Name
    max_share_bps: int = Field(ge=1, le=10_000)


class ClassIn(Body):
    name: Name
    characteristic: Name
    scheme: Ref
    product_group: Ref
    model: enum_by_name(Model)  # type: ignore[valid-type]
    attribution: enum_by_name(Attribution) = Attribution.credit  # type: ignore[valid-type]
    period_months: int = Field(ge=1, le=12)
    window_periods: int = Field(ge=1, le=12)
    cap_at_stock: bool = False
    raw_material: enum_by_name(RawMaterial) = Field(  # type: ignore[valid-type]
        default=RawMaterial.circular,
        description="circular, bio_circular, bio or renewable_energy_derived (or its label, "
        "bio-circular)",
    )
    waste: bool = False
    sustainable_factor: Uint32 = Field(
        alias="sustainable_factor_gco2e_per_kg", description="gCO2e per kg of the sustainable form"
    )
    conventional_factor: Uint32 = Field(
        alias="conventional_factor_gco2e_per_kg",
        description="gCO2e per kg of the conventional form",
    )


async def plan_admin(
    ctx: Context,
    who: Principal,
    fn: str,
    build: Callable[[], Awaitable[tuple[Any, ...]]],
    role: int = ROLE_ADMIN,
) -> Plan:
    """The role first (403; the admin's unless the chain lets another act too), then the
    arguments' own checks (422)."""
    await acting_party(ctx, who, role)
    args = await build()
    contract = "Catalog" if fn in _CATALOG else "Consortium"
    if fn == "setSchemeAcceptance":
        contract = "Transit"
    return Plan(0, contract, fn, tuple(args))


_CATALOG = (
    "registerScheme", "setSchemeCustody", "registerProductGroup", "registerClass", "setUnitScope",
)  # fmt: skip


async def admin_party_ref(ctx: Context, ref: Ref, field: str = "party") -> int:
    party = ctx.registry.resolve("parties", ref, field)
    await ctx.views.party(party, field)
    return party
