"""Reading requests back: one by id, the party's list, and server-sent progress events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from gateway._models import FINAL, Request, RequestPublic
from gateway._service import Gateway, get_request
from gateway.api.deps import CallerDep, GatewayDep

router = APIRouter(prefix="/v1/requests", tags=["requests"])

_ORDER = ("queued", "signed", "submitted", "confirmed", "rejected")


def public(row: Request) -> RequestPublic:
    return RequestPublic.model_validate(row, from_attributes=True)


@router.get("", response_model=list[RequestPublic], summary="The caller's party's requests")
async def list_requests(
    gw: GatewayDep,
    who: CallerDep,
    status: Annotated[
        str | None, Query(pattern="^(queued|signed|submitted|confirmed|rejected)$")
    ] = None,
    after: Annotated[int, Query(ge=0, description="seq cursor: requests after this one")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RequestPublic]:
    rows = await asyncio.to_thread(
        gw.store.list_requests, who.party_id, status=status, after=after, limit=limit
    )
    return [public(r) for r in rows]


@router.get("/{request_id}", response_model=RequestPublic, summary="One request and its outcome")
async def read_request(request_id: str, gw: GatewayDep, who: CallerDep) -> RequestPublic:
    row = await asyncio.to_thread(lambda: get_request(gw=gw, who=who, request_id=request_id))
    return public(row)


@router.get(
    "/{request_id}/events",
    summary="Progress as server-sent events (queued → signed → submitted → confirmed/rejected)",
    response_class=StreamingResponse,
)
async def request_events(request_id: str, gw: GatewayDep, who: CallerDep) -> StreamingResponse:
    first = await asyncio.to_thread(lambda: get_request(gw=gw, who=who, request_id=request_id))
    return StreamingResponse(_stream(gw, first, who.party_id), media_type="text/event-stream")


async def _stream(gw: Gateway, row: Request, party_id: int) -> AsyncIterator[str]:
    sent = -1
    while True:
        reached = _ORDER.index(row.status)
        # A request re-opened after a chain rollback goes back to "submitted": say so.
        if reached < sent:
            sent = reached - 1
        for step in range(sent + 1, reached + 1):
            if step == 3 and row.status == "rejected":
                continue
            data = public(row).model_dump(mode="json")
            data["status"] = _ORDER[step]
            yield f"event: {_ORDER[step]}\ndata: {json.dumps(data)}\n\n"
        sent = reached
        if row.status in FINAL:
            return
        await asyncio.sleep(gw.settings.poll_interval)
        fresh = await asyncio.to_thread(gw.store.get_request, row.id, party_id)
        if fresh is None:
            return
        row = fresh
