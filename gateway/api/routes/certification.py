"""Writes of the certification-body role: certificates, processes, conversion factors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from tracenet.contracts import Role
from tracenet.gateway.api.deps import CallerDep, GatewayDep, IdempotencyDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES, Accepted, accept
from tracenet.gateway.operations import _ops_admin as ops
from tracenet.gateway.operations._catalog import roles_extension

router = APIRouter(prefix="/v1", tags=["certification"], responses=WRITE_RESPONSES)
# Every write here is the certifier's (its planner checks it); OpenAPI says so (x-tracenet-roles).
_W: dict[str, Any] = {
    "status_code": 202,
    "response_model": Accepted,
    "openapi_extra": roles_extension(Role.certifier),
}
CertRef = Annotated[
    str,
    Path(
        min_length=1, max_length=200,
        description="the certificate: its number (ISCC-PLUS-Cert-DE100-00001), registry key or id",
    ),
]  # fmt: skip
ProcessRef = Annotated[
    str, Path(min_length=1, max_length=64, description="the process (registry key or id)")
]


@router.post("/certificates", summary="Register a certificate", **_W)
async def register_certificate(
    body: ops.CertificateIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: ops.plan_certificate(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "register_certificate", body, key, plan)


@router.post(
    "/certificates/{certificate}/status",
    summary="State a certificate's status: suspend, reinstate, withdraw or terminate",
    **_W,
)
async def certificate_status(
    certificate: CertRef,
    body: ops.CertificateStatusIn,
    gw: GatewayDep,
    who: CallerDep,
    key: IdempotencyDep = None,
) -> JSONResponse:
    plan = lambda: ops.plan_certificate_status(gw.context, who, certificate, body)  # noqa: E731
    payload = {"certificate": certificate, **body.model_dump()}
    return await accept(gw, who, "certificate_status", payload, key, plan)


@router.post("/processes", summary="Register a conversion process at a unit", **_W)
async def register_process(
    body: ops.ProcessIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: ops.plan_process(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "register_process", body, key, plan)


@router.post("/processes/{process}/factors", summary="Register a conversion factor", **_W)
async def register_factor(
    process: ProcessRef,
    body: ops.FactorIn,
    gw: GatewayDep,
    who: CallerDep,
    key: IdempotencyDep = None,
) -> JSONResponse:
    plan = lambda: ops.plan_factor(gw.context, who, process, body)  # noqa: E731
    payload = {"process": process, **body.model_dump()}
    return await accept(gw, who, "register_factor", payload, key, plan)
