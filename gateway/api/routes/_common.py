"""What every write route shares: the 202/200 answer and the documented error responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway._auth import Principal
from gateway._ops import Plan
from gateway._service import Gateway, submit

__all__ = ["WRITE_RESPONSES", "Accepted", "ErrorBody", "accept"]


class Accepted(BaseModel):
    """A write the gateway stored durably; follow it at ``status_url`` or ``events_url``."""

    id: str
    status: str
    status_url: str
    events_url: str


class ErrorBody(BaseModel):
    """Every error: a stable code from the table (gateway/ERRORS.md), the field, a message."""

    code: str
    error: str
    field: str | None
    message: str


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Accepted, "description": "replay: the request this Idempotency-Key made"},
    400: {"model": ErrorBody, "description": "TN-GW-4001 body is not JSON"},
    401: {"model": ErrorBody, "description": "TN-GW-4011/4012 missing or unknown API key"},
    403: {"model": ErrorBody, "description": "TN-GW-403x wrong scope, unit or role"},
    409: {"model": ErrorBody, "description": "TN-GW-4091 Idempotency-Key reused"},
    413: {"model": ErrorBody, "description": "TN-GW-4131 body too large"},
    415: {"model": ErrorBody, "description": "TN-GW-4151 not application/json"},
    422: {"model": ErrorBody, "description": "TN-GW-422x a rule the gateway checks"},
    503: {"model": ErrorBody, "description": "TN-GW-5031 node unavailable"},
}


async def accept(
    gw: Gateway,
    who: Principal,
    operation: str,
    body: BaseModel | dict[str, Any],
    key: str | None,
    plan: Callable[[], Awaitable[Plan]],
) -> JSONResponse:
    status, row = await submit(
        gw=gw, who=who, operation=operation, body=body, plan=plan, idempotency_key=key
    )
    answer = Accepted(
        id=row.id,
        status=row.status,
        status_url=f"/v1/requests/{row.id}",
        events_url=f"/v1/requests/{row.id}/events",
    )
    headers = {"Location": answer.status_url}
    return JSONResponse(answer.model_dump(), status_code=status, headers=headers)
