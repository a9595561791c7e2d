"""Server-sent events of request progress: one request, or every request of the caller's party.

Each event is ``event: <status>``, ``id: <seq>-<step>`` and ``data: <the request as JSON, with
its seq>``. A request's steps are always told in order, queued → signed → submitted →
confirmed (or queued → signed → submitted → rejected; a write refused before signing goes
queued → rejected); a step the store passed between two polls is still told, carrying the
request as it is now. The one-request stream ends after the final step; the party stream never
ends (a comment line every ``HEARTBEAT`` seconds keeps proxies from closing it).

The party stream starts with the requests still open when it is opened (from their current
step), then follows every new one. ``after=<seq>`` replays requests after that cursor instead
(a reconnecting client passes the last seq it saw). A request re-opened after a chain rollback
is not told again on the party stream once it was told final (read it back by id).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence

from sqlmodel import Session, col, func, select

from tracenet.gateway.pipeline._models import FINAL, Request, RequestPublic, Status
from tracenet.gateway.pipeline._store import Store

__all__ = ["HEARTBEAT", "party_events", "request_events"]

#: Seconds of silence after which the party stream sends a comment line.
HEARTBEAT = 15.0
_ORDER = (Status.QUEUED, Status.SIGNED, Status.SUBMITTED, Status.CONFIRMED, Status.REJECTED)
_BATCH = 500


def _steps(row: Request, told: int) -> tuple[list[str], int]:
    """The SSE events of ``row`` after step ``told`` (index into ``_ORDER``), and the new mark."""
    reached = _ORDER.index(Status(row.status))
    if reached < told:  # re-opened after a chain rollback: tell the step it is back at
        told = reached - 1
    events = []
    data = RequestPublic.model_validate(row, from_attributes=True).model_dump(mode="json")
    data["seq"] = row.seq
    for step in range(told + 1, reached + 1):
        if _ORDER[step] == Status.CONFIRMED and row.status == Status.REJECTED:
            continue
        if row.status == Status.REJECTED and row.signer is None and step in (1, 2):
            continue  # refused before it was ever signed
        data["status"] = _ORDER[step].value
        events.append(
            f"id: {row.seq}-{step}\nevent: {_ORDER[step].value}\ndata: {json.dumps(data)}\n\n"
        )
    return events, reached


async def request_events(
    *, store: Store, first: Request, party_id: int, poll: float
) -> AsyncIterator[str]:
    """The steps of one request until its final one."""
    row, told = first, -1
    while True:
        events, told = _steps(row, told)
        for event in events:
            yield event
        if row.status in FINAL:
            return
        await asyncio.sleep(poll)
        fresh = await asyncio.to_thread(store.get_request, row.id, party_id)
        if fresh is None:
            return
        row = fresh


async def party_events(
    *, store: Store, party_id: int, after: int | None, poll: float
) -> AsyncIterator[str]:
    """Every step of every request of ``party_id``: open ones first, then each new one.

    Where the stream starts is read HERE, before the response begins: a client that saw the
    response headers and then writes sees that write on the stream.
    """
    if after is None:
        cursor, rows = await asyncio.to_thread(store.read, _start, party_id)
    else:
        cursor, rows = after, []
    return _follow(store, party_id, cursor, rows, poll)


async def _follow(
    store: Store, party_id: int, cursor: int, rows: list[Request], poll: float
) -> AsyncIterator[str]:
    told: dict[int, int] = {}  # seq -> last step told, for requests not yet final
    quiet_since = time.monotonic()
    while True:
        for row in rows:
            assert row.seq is not None
            events, mark = _steps(row, told.get(row.seq, -1))
            for event in events:
                yield event
                quiet_since = time.monotonic()
            if row.status in FINAL:
                told.pop(row.seq, None)
            else:
                told[row.seq] = mark
            cursor = max(cursor, row.seq)
        if time.monotonic() - quiet_since > HEARTBEAT:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll)
        rows = await asyncio.to_thread(store.read, _changes, party_id, list(told), cursor)


def _start(session: Session, party_id: int) -> tuple[int, list[Request]]:
    top = session.exec(select(func.max(Request.seq)).where(Request.party_id == party_id)).one()
    open_rows = session.exec(
        select(Request)
        .where(Request.party_id == party_id, col(Request.status).not_in(list(FINAL)))
        .order_by(col(Request.seq))
    )
    return int(top or 0), list(open_rows)


def _changes(
    session: Session, party_id: int, open_seqs: Sequence[int], cursor: int
) -> list[Request]:
    """The open requests as they are now, then up to ``_BATCH`` new ones, in seq order."""
    rows: list[Request] = []
    for i in range(0, len(open_seqs), _BATCH):
        chunk = list(open_seqs[i : i + _BATCH])
        rows += session.exec(select(Request).where(col(Request.seq).in_(chunk)))
    rows += session.exec(
        select(Request)
        .where(Request.party_id == party_id, col(Request.seq) > cursor)
        .order_by(col(Request.seq))
        .limit(_BATCH)
    )
    return sorted(rows, key=_seq)


def _seq(row: Request) -> int:
    return row.seq or 0
