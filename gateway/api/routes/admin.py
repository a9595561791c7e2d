"""Writes of the consortium admin role: parties, units, boundaries, signers, catalog entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from tracenet.contracts import AcceptanceMode, Custody, Role, SettleMode
from tracenet.gateway.api._auth import Principal
from tracenet.gateway.api._service import Gateway
from tracenet.gateway.api.deps import CallerDep, GatewayDep, IdempotencyDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES, Accepted, accept
from tracenet.gateway.errors import RequestRejected
from tracenet.gateway.operations import _ops_admin as ops
from tracenet.gateway.operations._catalog import roles_extension
from tracenet.gateway.operations._ops import ROLE_ADMIN, ROLE_CERTIFIER, Plan
from tracenet.gateway.operations._types import role_names

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=WRITE_RESPONSES)
# Every write here is the admin's (its planner checks it); OpenAPI says so (x-tracenet-roles).
_W: dict[str, Any] = {
    "status_code": 202,
    "response_model": Accepted,
    "openapi_extra": roles_extension(Role.admin),
}
PartyRef = Annotated[
    str, Path(min_length=1, max_length=200, description="the party (registry key or id)")
]
Address = Annotated[str, Path(pattern="^0x[0-9a-fA-F]{40}$")]
SchemeRef = Annotated[str, Path(description="registry key or numeric id", max_length=200)]
UnitRef = Annotated[
    str, Path(min_length=1, max_length=200, description="the unit (registry key or id)")
]


def _admin(
    gw: Gateway,
    who: Principal,
    fn: str,
    build: Callable[[], Awaitable[tuple[Any, ...]]],
    role: int = ROLE_ADMIN,
) -> Callable[[], Awaitable[Plan]]:
    async def plan() -> Plan:
        return await ops.plan_admin(gw.context, who, fn, build, role)

    return plan


@router.post("/parties", summary="Register a party", **_W)
async def register_party(
    body: ops.PartyIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (body.name, body.identifier or bytes(32), body.roles)

    return await accept(
        gw, who, "register_party", body, key, _admin(gw, who, "registerParty", args)
    )


@router.post("/parties/{party}/roles", summary="Replace a party's roles", **_W)
async def set_roles(
    party: PartyRef, body: ops.RolesIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (await ops.admin_party_ref(gw.context, party), body.roles)

    payload = {"party": party, "roles": role_names(body.roles)}
    return await accept(gw, who, "set_roles", payload, key, _admin(gw, who, "setRoles", args))


@router.post("/parties/{party}/suspension", summary="Suspend a party", **_W)
async def suspend(
    party: PartyRef, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (await ops.admin_party_ref(gw.context, party),)

    plan = _admin(gw, who, "suspendParty", args)
    return await accept(gw, who, "suspend_party", {"party": party}, key, plan)


@router.post("/parties/{party}/reinstatement", summary="Reinstate a suspended party", **_W)
async def reinstate(
    party: PartyRef, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (await ops.admin_party_ref(gw.context, party),)

    plan = _admin(gw, who, "reinstateParty", args)
    return await accept(gw, who, "reinstate_party", {"party": party}, key, plan)


@router.post("/boundaries", summary="Declare a multi-site boundary", **_W)
async def declare_boundary(
    body: ops.BoundaryIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (await ops.admin_party_ref(gw.context, body.party), body.name)

    return await accept(
        gw, who, "declare_boundary", body, key, _admin(gw, who, "declareBoundary", args)
    )


@router.post("/units", summary="Register a bookkeeping unit", **_W)
async def register_unit(
    body: ops.UnitIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        party = await ops.admin_party_ref(gw.context, body.party)
        boundary = gw.registry.resolve("boundaries", body.boundary, "boundary")
        return (party, boundary, body.name, body.location)

    return await accept(gw, who, "register_unit", body, key, _admin(gw, who, "registerUnit", args))


@router.post("/signers", summary="Authorise a signer for a party (and unit)", **_W)
async def authorize_signer(
    body: ops.SignerIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        party = await ops.admin_party_ref(gw.context, body.party)
        unit = gw.registry.resolve("units", body.unit, "unit")
        if unit:
            await gw.views.unit(unit)
        return (body.address, party, unit)

    plan = _admin(gw, who, "authorizeSigner", args)
    return await accept(gw, who, "authorize_signer", body, key, plan)


@router.post("/signers/{address}/revocation", summary="Revoke a signer", **_W)
async def revoke_signer(
    address: Address, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (address,)

    plan = _admin(gw, who, "revokeSigner", args)
    return await accept(gw, who, "revoke_signer", {"address": address}, key, plan)


@router.post("/schemes", summary="Register a scheme", **_W)
async def register_scheme(
    body: ops.SchemeIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (body.name, body.max_period_months)

    return await accept(
        gw, who, "register_scheme", body, key, _admin(gw, who, "registerScheme", args)
    )


@router.post(
    "/schemes/{scheme}/custody",
    summary="Set the certified chain of custody a scheme requires (none, "
    "certified_final_claimant_exempt, certified)",
    **_W,
)
async def set_scheme_custody(
    scheme: SchemeRef,
    body: ops.SchemeCustodyIn,
    gw: GatewayDep,
    who: CallerDep,
    key: IdempotencyDep = None,
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        scheme_id = gw.registry.resolve("schemes", scheme, "scheme")
        await gw.views.scheme(scheme_id)
        return (scheme_id, body.custody)

    payload = {"scheme": scheme, "custody": Custody(body.custody).name}
    plan = _admin(gw, who, "setSchemeCustody", args)
    return await accept(gw, who, "set_scheme_custody", payload, key, plan)


@router.post(
    "/schemes/{scheme}/acceptance",
    summary="Set whether a scheme's shipments need the recipient's acceptance (issue 19)",
    description="`Transit.setSchemeAcceptance`: `acceptance` none or required, the window "
    "(`window_seconds`, 72 h = 259200) and what settling after it does (`settle`: accepted or "
    "returned). Applies to shipments dispatched from then on; inside one legal entity a "
    "shipment never waits. A bad combination is 422 `AcceptanceInvalid` before signing.",
    **_W,
)
async def set_scheme_acceptance(
    scheme: SchemeRef,
    body: ops.SchemeAcceptanceIn,
    gw: GatewayDep,
    who: CallerDep,
    key: IdempotencyDep = None,
) -> JSONResponse:
    mode, settle = AcceptanceMode(body.acceptance), SettleMode(body.settle)
    window = body.window_seconds

    async def args() -> tuple[Any, ...]:
        scheme_id = gw.registry.resolve("schemes", scheme, "scheme")
        await gw.views.scheme(scheme_id)
        required = mode == AcceptanceMode.required
        if (required and window == 0) or (not required and (window or settle)):
            raise RequestRejected(
                "acceptance `required` takes a window of 1 s to 366 days; `none` no window "
                "and no settle behaviour",
                error="AcceptanceInvalid", field="window_seconds",
                args={"acceptance": mode.name, "windowSeconds": window, "settle": settle.name},
            )  # fmt: skip
        return (scheme_id, int(mode), window, int(settle))

    payload = {"scheme": scheme, "acceptance": mode.name, "window_seconds": window,
               "settle": settle.name}  # fmt: skip
    plan = _admin(gw, who, "setSchemeAcceptance", args)
    return await accept(gw, who, "set_scheme_acceptance", payload, key, plan)


@router.post(
    "/units/{unit}/scope",
    summary="Put a product group in or out of a unit's product scope (R7; the consortium "
    "admin or a certification body)",
    description="`Catalog.setUnitScope`: a unit may make, receive, ship and claim only the "
    "product groups in its scope. A certificate or a process puts its groups in scope as a "
    "side effect; this sets one directly, either way (`in_scope`). Unknown units and groups "
    "are refused before signing (422 `UnitUnknown`, `ProductGroupUnknown`); a party with "
    "neither role 403 `AccessRoleMissing`.",
    **{**_W, "openapi_extra": roles_extension(Role.admin, Role.certifier)},
)
async def set_unit_scope(
    unit: UnitRef,
    body: ops.UnitScopeIn,
    gw: GatewayDep,
    who: CallerDep,
    key: IdempotencyDep = None,
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        unit_id = gw.registry.resolve("units", unit, "unit")
        await gw.views.unit(unit_id)
        group = gw.registry.resolve("product_groups", body.product_group, "product_group")
        await gw.views.max_share(group)
        return (unit_id, group, body.in_scope)

    payload = {"unit": unit, "product_group": body.product_group, "in_scope": body.in_scope}
    plan = _admin(gw, who, "setUnitScope", args, ROLE_ADMIN | ROLE_CERTIFIER)
    return await accept(gw, who, "set_unit_scope", payload, key, plan)


@router.post("/product-groups", summary="Register a product group and its max share", **_W)
async def register_group(
    body: ops.ProductGroupIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        return (body.name, body.max_share_bps)

    plan = _admin(gw, who, "registerProductGroup", args)
    return await accept(gw, who, "register_product_group", body, key, plan)


@router.post("/classes", summary="Register a credit class", **_W)
async def register_class(
    body: ops.ClassIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    async def args() -> tuple[Any, ...]:
        r = gw.registry
        scheme = r.resolve("schemes", body.scheme, "scheme")
        group = r.resolve("product_groups", body.product_group, "product_group")
        await gw.views.scheme(scheme)
        await gw.views.max_share(group)
        spec = (
            body.name, body.characteristic, scheme, group, body.model, body.attribution,
            body.period_months, body.window_periods, body.cap_at_stock, body.raw_material,
            body.waste, body.sustainable_factor, body.conventional_factor,
        )  # fmt: skip
        return (spec,)

    return await accept(
        gw, who, "register_class", body, key, _admin(gw, who, "registerClass", args)
    )
