"""The durable store: SQLite (WAL) or PostgreSQL through SQLModel, one writer thread.

Every write goes through one thread, so SQLite never sees two writers and nonce allocation is
serial. New requests are committed in groups (group commit): every request that arrives while a
commit runs joins the next one, and is answered only after the commit that holds it returned, so
a 202 always means "in the database file". With ``synchronous=FULL`` (the default) the commit is
fsync'd: it survives a power loss. With ``NORMAL`` (WAL) it survives any crash of the process
(SIGKILL included: the WAL is in the OS page cache) but the last commits may be lost if the
machine loses power. Reads use their own sessions (WAL readers never block the writer).

The hot paths (insert, the pipeline's reads and bulk updates) use Core statements and
``executemany``: ORM objects cost more CPU than the whole rest of a write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Row, Table, bindparam, func, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracenet.gateway.pipeline._engine import FIRST, LATER, Writer, make_engine
from tracenet.gateway.pipeline._lease import Lease
from tracenet.gateway.pipeline._migrate import migrate
from tracenet.gateway.pipeline._models import FINAL, ApiKey, Request, SignerState, Status, utcnow

__all__ = ["REQUESTS", "Insert", "NewRequest", "Store", "make_engine"]

T = TypeVar("T")
REQUESTS: Table = Request.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class NewRequest:
    """A write to insert: the columns a new request row starts with (a plain object; an ORM
    instance costs more CPU to build than validating the write does)."""

    id: str
    party_id: int
    unit_id: int
    operation: str
    idempotency_key: str | None
    api_key_id: int
    body_hash: str
    payload: dict[str, Any]
    to_address: str
    call_data: str
    status: str = Status.QUEUED
    created_at: datetime | None = None
    attempts: int = 0


@dataclass
class Insert:
    """The outcome of inserting one request: a new row, or the one its idempotency key names."""

    kind: Literal["created", "existing"]
    request: NewRequest | Request


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)
        self._writer = Writer()
        self._pending: list[tuple[NewRequest, asyncio.Future[Insert]]] = []
        self._flushing = False

    def close(self) -> None:
        self._writer.shutdown()
        self.engine.dispose()

    # ---- the writer thread ------------------------------------------------------------------

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` on the writer thread, in one transaction."""
        return await asyncio.wrap_future(self._writer.submit(LATER, self._in_tx, fn, *args))

    async def write_leased(self, lease: Lease, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(session, *args)`` on the writer thread in one transaction that can only
        commit while ``lease`` is held (on PostgreSQL: on the lease's own connection); raises
        ``SigningLeaseLost`` otherwise. Every write that allocates a nonce or records signed
        bytes goes through here."""
        return await asyncio.wrap_future(
            self._writer.submit(LATER, self._in_lease, lease, fn, *args)
        )

    @staticmethod
    def _in_lease(lease: Lease, fn: Callable[..., T], *args: Any) -> T:
        with lease.session() as session:
            result = fn(session, *args)
            session.commit()
            return result

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        result: T = self._writer.submit(LATER, self._in_tx, fn, *args).result()
        return result

    def _in_tx(self, fn: Callable[..., T], *args: Any) -> T:
        with Session(self.engine, expire_on_commit=False) as session:
            result = fn(session, *args)
            session.commit()
            return result

    async def insert(self, request: NewRequest) -> Insert:
        """Commit ``request`` with the next group; the existing row if its key was used."""
        future: asyncio.Future[Insert] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        """Group commit: while one group commits, the next gathers. Groups go before the
        pipeline's writes on the writer thread (a client is waiting for each of them)."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                rows = [r for r, _ in batch]
                try:
                    results = await asyncio.wrap_future(
                        self._writer.submit(FIRST, self._in_tx, _insert_batch, rows)
                    )
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flushing = False

    # ---- reads --------------------------------------------------------------------------------

    def read(self, fn: Callable[..., T], *args: Any) -> T:
        with Session(self.engine, expire_on_commit=False) as session:
            return fn(session, *args)

    def find_key(self, key_hash: str) -> ApiKey | None:
        return self.read(  # type: ignore[no-any-return]
            lambda s: s.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()
        )

    def get_request(self, request_id: str, party_id: int) -> Request | None:
        return self.read(  # type: ignore[no-any-return]
            lambda s: s.exec(
                select(Request).where(Request.id == request_id, Request.party_id == party_id)
            ).first()
        )

    def by_idempotency(self, party_id: int, key: str) -> Request | None:
        return self.read(  # type: ignore[no-any-return]
            lambda s: s.exec(
                select(Request).where(Request.party_id == party_id, Request.idempotency_key == key)
            ).first()
        )

    def list_requests(
        self, party_id: int, *, status: str | None, after: int, limit: int
    ) -> list[Request]:
        def q(s: Session) -> list[Request]:
            stmt = select(Request).where(Request.party_id == party_id, col(Request.seq) > after)
            if status:
                stmt = stmt.where(Request.status == status)
            return list(s.exec(stmt.order_by(col(Request.seq)).limit(limit)))

        return self.read(q)

    def count_requests(self) -> int:
        return self.read(lambda s: int(s.exec(select(func.count()).select_from(Request)).one()))

    def unsigned(self) -> list[Row[Any]]:
        """Requests claimed (signer and nonce allocated) whose signed bytes were never saved: a
        signing helper died, or the lease holder did, between the claim and the signature.
        They are signed again with the SAME signer and nonce (no copy of them was ever sent)."""
        t = REQUESTS
        stmt = (
            core_select(t.c.seq, t.c.signer, t.c.nonce, t.c.to_address, t.c.call_data)
            .where(t.c.status == Status.SIGNED, t.c.raw_tx.is_(None))
            .order_by(t.c.signer, t.c.nonce)
        )
        return self.read(lambda s: list(s.connection().execute(stmt)))

    def in_flight(self) -> list[Row[Any]]:
        """Signed or submitted requests whose signed bytes are saved, by signer and nonce (what
        reconciling needs; a claim without bytes is ``unsigned``)."""
        t = REQUESTS
        stmt = (
            core_select(
                t.c.seq, t.c.status, t.c.signer, t.c.nonce, t.c.tx_hash, t.c.raw_tx, t.c.sent_at
            )
            .where(t.c.status.in_([Status.SIGNED, Status.SUBMITTED]), t.c.raw_tx.is_not(None))
            .order_by(t.c.signer, t.c.nonce)
        )
        return self.read(lambda s: list(s.connection().execute(stmt)))

    def final_from_block(self, block: int) -> list[Request]:
        stmt = select(Request).where(
            col(Request.status).in_(list(FINAL)), col(Request.block_number) >= block
        )
        return self.read(lambda s: list(s.exec(stmt)))

    def max_final_block(self) -> int | None:
        stmt = select(func.max(Request.block_number))
        value = self.read(lambda s: s.exec(stmt).one())
        return None if value is None else int(value)

    def by_hashes(self, hashes: Sequence[str]) -> list[Row[Any]]:
        """(seq, tx_hash, status, block_hash) of the requests carried by ``hashes``."""
        if not hashes:
            return []
        t = REQUESTS
        stmt = core_select(t.c.seq, t.c.tx_hash, t.c.status, t.c.block_hash).where(
            t.c.tx_hash.in_(list(hashes))
        )
        return self.read(lambda s: list(s.connection().execute(stmt)))

    def nonces(self) -> dict[str, int]:
        rows = self.read(lambda s: list(s.exec(select(SignerState))))
        return {r.address: r.next_nonce for r in rows}

    # ---- bulk updates (writer thread) -----------------------------------------------------------

    @staticmethod
    def update_rows(session: Session, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
        for seq, values in changes:
            session.execute(update(Request).where(col(Request.seq) == seq).values(**values))

    @staticmethod
    def update_many(
        session: Session,
        rows: Sequence[dict[str, Any]],
        *,
        where: Sequence[str],
        columns: Sequence[str],
        extra: Sequence[Any] = (),
    ) -> int:
        """One executemany: per dict, set ``columns`` where the ``where`` columns equal the
        dict's ``w_<name>`` values (and the ``extra`` conditions hold); the rows it changed."""
        if not rows:
            return 0
        t = REQUESTS
        stmt = (
            update(t)
            .where(*(t.c[name] == bindparam(f"w_{name}") for name in where), *extra)
            .values({name: bindparam(name) for name in columns})
        )
        return int(session.connection().execute(stmt, list(rows)).rowcount)

    @staticmethod
    def set_nonces(session: Session, nonces: dict[str, int]) -> None:
        for address, next_nonce in nonces.items():
            row = session.get(SignerState, address)
            if row is None:
                session.add(SignerState(address=address, next_nonce=next_nonce))
            else:
                row.next_nonce = next_nonce
                session.add(row)


def _insert_batch(session: Session, rows: list[NewRequest]) -> list[Insert]:
    """Insert ``rows`` (one executemany); a row whose idempotency key exists yields that row."""
    keyed = {(r.party_id, r.idempotency_key) for r in rows if r.idempotency_key}
    existing: dict[tuple[int, str | None], NewRequest | Request] = {}
    for party in {p for p, _ in keyed}:  # (party, key) is the unique index: look up by both
        keys = [k for p, k in keyed if p == party]
        stmt = select(Request).where(
            Request.party_id == party, col(Request.idempotency_key).in_(keys)
        )
        for found in session.exec(stmt):
            existing[(found.party_id, found.idempotency_key)] = found
    results, values = [], []
    now = utcnow()
    for row in rows:
        key = (row.party_id, row.idempotency_key)
        if row.idempotency_key and key in existing:
            results.append(Insert("existing", existing[key]))
            continue
        row.created_at = now
        values.append({name: getattr(row, name) for name in _INSERTED})
        if row.idempotency_key:
            existing[key] = row
        results.append(Insert("created", row))
    if values:
        session.connection().execute(insert(REQUESTS), values)
    return results


_INSERTED = (
    "id", "party_id", "unit_id", "operation", "status", "idempotency_key", "api_key_id",
    "body_hash", "payload", "to_address", "call_data", "created_at", "attempts",
)  # fmt: skip
