"""Many writes in one request, each with its own outcome: what bulk imports (``tracenet import``)
send, so a file of 5,000 rows does not cost 5,000 HTTP round trips.

``POST /v1/batch`` takes up to ``MAX_ITEMS`` operations, each ``{kind, idempotency_key, body}``
with ``kind`` one of the catalog's ledger writes (gateway/operations/_catalog.py: ``inputs``,
``shipments``…) and ``body`` what its route takes. Every item goes through the same path as its
single route (the row's body model, the gateway's rule checks by the row's planner, durable
insert as the row's operation, Idempotency-Key replay), concurrently, so one group commit
stores them; one item's refusal never affects another's. With ``dry_run`` the checks run and
nothing is stored: the answer says what each item would get. ``POST /v1/batch/requests`` reads
many requests back by id in one call.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tracenet.gateway.api._auth import Principal
from tracenet.gateway.api._service import Gateway, get_request, submit
from tracenet.gateway.api.deps import CallerDep, GatewayDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES
from tracenet.gateway.errors import CODES, GatewayError, NotFound
from tracenet.gateway.operations._catalog import BY_KIND

__all__ = ["MAX_ITEMS", "router"]

MAX_ITEMS = 500

if TYPE_CHECKING:
    KindName = str
else:  # the catalog's kinds, as OpenAPI's enum of an item's ``kind``
    KindName = Literal[tuple(BY_KIND)]

# Pydantic error types with their own row of the code table (as in api/_handlers.py).
_BY_TYPE = {
    "quantity_not_integer": "TN-GW-422-02",
    "quantity_not_positive": "TN-GW-422-03",
    "quantity_too_large": "TN-GW-422-04",
}

router = APIRouter(prefix="/v1/batch", tags=["batch"])
# The errors of the whole request (key, scope, body); 200 is the per-item answer below.
_RESPONSES = {k: v for k, v in WRITE_RESPONSES.items() if k != 200}


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: KindName
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
    body: dict[str, Any]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: list[BatchItem] = Field(min_length=1, max_length=MAX_ITEMS)
    dry_run: bool = Field(default=False, description="check every item, store none")


class ItemOutcome(BaseModel):
    """One item: ``status`` 202 (accepted), 200 (replay of its Idempotency-Key), 204 (dry run:
    would be accepted) or the 4xx of its single route, with the usual error fields."""

    index: int
    status: int
    id: str | None = None
    state: str | None = None
    code: str | None = None
    error: str | None = None
    field: str | None = None
    message: str | None = None
    args: dict[str, Any] | None = None


class BatchOut(BaseModel):
    results: list[ItemOutcome]


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=1000)


class RequestState(BaseModel):
    id: str
    status: str
    block_number: int | None = None
    tx_hash: str | None = None
    error: str | None = None
    message: str | None = None


class LookupOut(BaseModel):
    requests: list[RequestState]


def _invalid(index: int, exc: ValidationError) -> ItemOutcome:
    first: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    row = CODES[_BY_TYPE.get(str(first.get("type", "")), "TN-GW-422-00")]
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    args: dict[str, Any] = {}
    if row.code == "TN-GW-422-04":  # the chain's QuantityTooLarge(value, max)
        ctx = dict(first.get("ctx") or {})
        args = {"value": str(ctx.get("value", first.get("input"))), "max": str(ctx.get("max"))}
    return ItemOutcome(
        index=index, status=row.status, code=row.code, error=row.error, field=field,
        message=message, args=args,
    )  # fmt: skip


def _refused(index: int, exc: GatewayError) -> ItemOutcome:
    return ItemOutcome(
        index=index, status=exc.status, code=exc.code, error=exc.error, field=exc.field,
        message=exc.message, args=exc.to_json()["args"],
    )  # fmt: skip


async def _one(
    gw: Gateway, who: Principal, index: int, item: BatchItem, dry_run: bool
) -> ItemOutcome:
    write = BY_KIND[item.kind]
    try:
        body = write.body.model_validate(item.body)
    except ValidationError as exc:
        return _invalid(index, exc)
    try:
        if dry_run:
            who.require_write()
            await write.plan(gw.context, who, body)
            return ItemOutcome(index=index, status=204)
        status, row = await submit(
            gw=gw, who=who, operation=write.operation, body=body,
            plan=lambda: write.plan(gw.context, who, body), idempotency_key=item.idempotency_key,
        )  # fmt: skip
    except GatewayError as exc:
        return _refused(index, exc)
    return ItemOutcome(index=index, status=status, id=row.id, state=row.status)


@router.post(
    "",
    response_model=BatchOut,
    summary="Many writes in one request, each with its own outcome",
    responses=_RESPONSES,
)
async def batch(body: BatchIn, gw: GatewayDep, who: CallerDep) -> BatchOut:
    who.require_write()  # a read key is refused as a whole, as by the single routes
    tasks = [_one(gw, who, i, item, body.dry_run) for i, item in enumerate(body.operations)]
    return BatchOut(results=list(await asyncio.gather(*tasks)))


@router.post(
    "/requests",
    response_model=LookupOut,
    summary="Many requests read back by id",
    responses=_RESPONSES,
)
async def lookup(body: LookupIn, gw: GatewayDep, who: CallerDep) -> LookupOut:
    def read() -> list[RequestState]:
        out = []
        for request_id in body.ids:
            try:
                row = get_request(gw=gw, who=who, request_id=request_id)
            except NotFound:
                out.append(RequestState(id=request_id, status="unknown"))
                continue
            outcome = row.outcome or {}
            out.append(
                RequestState(
                    id=row.id,
                    status=row.status,
                    block_number=row.block_number,
                    tx_hash=row.tx_hash,
                    error=outcome.get("error"),
                    message=outcome.get("message"),
                )
            )
        return out

    return LookupOut(requests=await asyncio.to_thread(read))
