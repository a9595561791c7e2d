"""Reading requests back: one by id, the party's list, and server-sent progress events."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from tracenet.gateway.api._service import get_request
from tracenet.gateway.api.deps import CallerDep, GatewayDep
from tracenet.gateway.api.routes._common import READ_RESPONSES
from tracenet.gateway.pipeline._models import Request, RequestPublic
from tracenet.gateway.pipeline._streams import party_events, request_events

router = APIRouter(prefix="/v1/requests", tags=["requests"], responses=READ_RESPONSES)
#: The largest seq cursor (the store's seq is a signed 64-bit integer).
MAX_SEQ = 2**63 - 1

_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_SSE_DOC = (
    "Server-sent events (`text/event-stream`). Each event is `event: <status>`, "
    "`id: <seq>-<step>` and `data:` the request as JSON (as `GET /v1/requests/{id}` shows it, "
    "plus its `seq`) with `status` set to that step. Steps come in order: queued → signed → "
    "submitted → confirmed, or … → rejected (a write refused before signing: queued → "
    "rejected); a step passed between two polls is still told."
)
_SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the event stream",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
}


RequestId = Annotated[str, Path(max_length=40, description="the id a write answered with")]


def public(row: Request) -> RequestPublic:
    return RequestPublic.model_validate(row, from_attributes=True)


@router.get("", response_model=list[RequestPublic], summary="The caller's party's requests")
async def list_requests(
    gw: GatewayDep,
    who: CallerDep,
    status: Annotated[
        str | None, Query(pattern="^(queued|signed|submitted|confirmed|rejected)$")
    ] = None,
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="seq cursor: requests after this one")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RequestPublic]:
    rows = await asyncio.to_thread(
        gw.store.list_requests, who.party_id, status=status, after=after, limit=limit
    )
    return [public(r) for r in rows]


@router.get(
    "/events",
    summary="Progress of every request of the caller's party, as server-sent events",
    description=_SSE_DOC + " The stream does not end; a `: keep-alive` comment line comes "
    "after 15 s of silence. It starts with the requests still open (from their current step) "
    "and follows every new one; `after=<seq>` replays every request after that seq instead "
    "(reconnect with the last seq you saw). A request re-opened after a chain rollback is not "
    "told again once it was told final: read it back by id.",
    response_class=StreamingResponse,
    responses=_SSE_RESPONSES,
)
async def party_request_events(
    gw: GatewayDep,
    who: CallerDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="replay requests after this seq cursor")
    ] = None,
) -> StreamingResponse:
    stream = await party_events(
        store=gw.store, party_id=who.party_id, after=after, poll=gw.settings.poll_interval
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=_SSE_HEADERS)


@router.get("/{request_id}", response_model=RequestPublic, summary="One request and its outcome")
async def read_request(request_id: RequestId, gw: GatewayDep, who: CallerDep) -> RequestPublic:
    row = await asyncio.to_thread(lambda: get_request(gw=gw, who=who, request_id=request_id))
    return public(row)


@router.get(
    "/{request_id}/events",
    summary="Progress of one request as server-sent events, ending at its final state",
    description=_SSE_DOC + " The stream ends after `confirmed` or `rejected`.",
    response_class=StreamingResponse,
    responses=_SSE_RESPONSES,
)
async def one_request_events(
    request_id: RequestId, gw: GatewayDep, who: CallerDep
) -> StreamingResponse:
    first = await asyncio.to_thread(lambda: get_request(gw=gw, who=who, request_id=request_id))
    stream = request_events(
        store=gw.store, first=first, party_id=who.party_id, poll=gw.settings.poll_interval
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=_SSE_HEADERS)
