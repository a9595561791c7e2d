"""``GET /v1/health``: liveness, and whether this replica's pipeline runs (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from tracenet.gateway.api.deps import GatewayDep
from tracenet.gateway.api.routes._common import ErrorBody
from tracenet.gateway.pipeline._dispatcher import Role

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    """The gateway answers; ``pipeline_ready``: it signs and follows the chain. ``role``: this
    replica ``signing``, or on ``standby`` (it accepts writes; another replica of the party's
    gateway on the same PostgreSQL store signs them), or ``starting``."""

    ok: bool
    pipeline_ready: bool
    role: Role
    chain_id: int


@router.get(
    "/v1/health", summary="Liveness, and whether the pipeline runs",
    responses={500: {"model": ErrorBody, "description": "TN-GW-500-01 InternalError"}},
)  # fmt: skip
async def health(gw: GatewayDep) -> Health:
    d = gw.dispatcher
    return Health(ok=True, pipeline_ready=d.ready.is_set(), role=d.role, chain_id=gw.chain_id)
