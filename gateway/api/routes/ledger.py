"""Writes a party makes at one of its units: inputs, shipments, conversions, claims…"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tracenet.gateway import _bodies as ops
from tracenet.gateway import _plans as plans
from tracenet.gateway.api.deps import CallerDep, GatewayDep, IdempotencyDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES, Accepted, accept

router = APIRouter(prefix="/v1", tags=["ledger"], responses=WRITE_RESPONSES)
_W: dict[str, Any] = {"status_code": 202, "response_model": Accepted}


@router.post("/inputs", summary="Record a certified input (creates credits)", **_W)
async def record_input(
    body: ops.InputIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    return await accept(
        gw, who, "record_input", body, key, lambda: plans.plan_input(gw.context, who, body)
    )


@router.post("/conventional-inputs", summary="Record a conventional input (quantity only)", **_W)
async def record_conventional(
    body: ops.QuantityIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_conventional(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "record_conventional_input", body, key, plan)


@router.post("/productions", summary="Record a production quantity", **_W)
async def record_production(
    body: ops.QuantityIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_production(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "record_production", body, key, plan)


@router.post("/shipments", summary="Ship credits with a physical delivery", **_W)
async def ship(
    body: ops.ShipmentIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    return await accept(
        gw, who, "ship", body, key, lambda: plans.plan_shipment(gw.context, who, body)
    )


@router.post("/inventory-transfers", summary="Move inventory inside a multi-site boundary", **_W)
async def transfer_inventory(
    body: ops.TransferIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_inventory(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "transfer_inventory", body, key, plan)


@router.post("/certificate-transfers", summary="Move book-and-claim certificates", **_W)
async def transfer_certificates(
    body: ops.CertificateTransferIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_certificates(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "transfer_certificates", body, key, plan)


@router.post("/conversions", summary="Convert credits through a registered process", **_W)
async def convert(
    body: ops.ConversionIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_conversion(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "convert", body, key, plan)


@router.post("/claims", summary="Retire credits for a beneficiary", **_W)
async def claim(
    body: ops.ClaimIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    return await accept(
        gw, who, "claim", body, key, lambda: plans.plan_claim(gw.context, who, body)
    )


@router.post(
    "/lapses", summary="Retire credits past their allocation window (any unit's, R4)", **_W
)
async def lapse(
    body: ops.LapseIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    return await accept(
        gw, who, "lapse", body, key, lambda: plans.plan_lapse(gw.context, who, body)
    )


@router.post("/period-closes", summary="Close the ended period against physical stock", **_W)
async def close_period(
    body: ops.PeriodCloseIn, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
) -> JSONResponse:
    plan = lambda: plans.plan_close(gw.context, who, body)  # noqa: E731
    return await accept(gw, who, "close_period", body, key, plan)
