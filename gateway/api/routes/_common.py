"""What every write route shares: the 202/200 answer and the documented error responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tracenet.gateway.api._auth import Principal
from tracenet.gateway.api._service import Gateway, submit
from tracenet.gateway.errors import CODES
from tracenet.gateway.operations._ops import Plan

__all__ = ["READ_RESPONSES", "WRITE_RESPONSES", "Accepted", "ErrorBody", "accept", "accepted"]


class Accepted(BaseModel):
    """A write the gateway stored durably; follow it at ``status_url`` or ``events_url``."""

    id: str
    status: str
    status_url: str
    events_url: str


class ErrorBody(BaseModel):
    """Every error: a stable code from the table (gateway/ERRORS.md), the rule's name (the
    chain's custom-error name for a ledger rule), the field, a message, the rule's arguments."""

    code: str = Field(description="TN-GW-<status>-<nn>, see gateway/ERRORS.md")
    error: str = Field(description="the rule's name; a ledger rule's custom-error name")
    field: str | None = Field(description="the field at fault (dotted path), if one is")
    message: str
    args: dict[str, Any] = Field(
        description="the rule's arguments, named as in the Solidity error; integers beyond "
        "2^53 as decimal strings"
    )


def _codes(status: int) -> str:
    return ", ".join(f"{r.code} {r.error}" for r in CODES.values() if r.status == status)


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody, "description": _codes(s)} for s in statuses}


#: Every status a write route may answer besides 202.
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Accepted, "description": "replay: the request this Idempotency-Key made"},
    **_responses(400, 401, 403, 409, 413, 415, 422, 500, 503),
}
#: Every status a read route may answer besides 200.
READ_RESPONSES: dict[int | str, dict[str, Any]] = _responses(401, 403, 404, 422, 500, 503)


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
    answer = accepted(row)
    return JSONResponse(answer, status_code=status, headers={"Location": answer["status_url"]})


def accepted(row: Any) -> dict[str, Any]:
    """``Accepted``'s fields for a stored request, as a plain dict (a model and its dump cost
    more CPU than the rest of the answer); the routes' ``response_model`` documents it."""
    status_url = f"/v1/requests/{row.id}"
    return {"id": row.id, "status": str(row.status), "status_url": status_url,
            "events_url": status_url + "/events"}  # fmt: skip
