"""Who may sign: one process at a time per signing address (issue 26).

Any number of gateway replicas may accept writes into one store; only the holder of the
*signing lease* claims queued requests, allocates nonces, signs, sends and follows receipts.

* **PostgreSQL** (``AdvisoryLease``): a session-level advisory lock per signing address
  (``pg_try_advisory_lock(namespace, key of the address)``), taken all-or-nothing on a
  connection of its own that stays open. The database releases the locks when that session
  ends: the holder stopped, died (SIGKILL included: the kernel closes its socket) or lost its
  connection. Every write that allocates a nonce or records signed bytes runs *on that same
  connection* (``session``): it can only commit while the locks are held, so a holder that
  lost them cannot commit a claim or a signature after a survivor read the store.
* **SQLite** (``LocalLease``, after ``hold_sqlite_store``): one process per store file; a
  second ``gateway serve`` on the file is refused at start (an exclusive ``flock`` on
  ``<database>.lock``, held for the life of the process).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from tracenet.gateway.errors import ConfigurationError, SigningLeaseLost

__all__ = [
    "LOCK_NAMESPACE",
    "AdvisoryLease",
    "Lease",
    "LocalLease",
    "hold_sqlite_store",
    "lock_key",
    "signing_lease",
]

log = logging.getLogger("gateway.lease")

#: First key of every advisory lock the gateway takes ("TRNG"); the second is ``lock_key``.
LOCK_NAMESPACE = 0x54524E47


def lock_key(address: str) -> int:
    """The advisory lock's second key for a signing address (31 bits of its SHA-256: two
    addresses sharing one would only share a lock, never let two processes sign for one)."""
    return int.from_bytes(hashlib.sha256(address.lower().encode()).digest()[:4]) & 0x7FFFFFFF


class Lease(Protocol):
    """The right to sign for a set of addresses."""

    @property
    def held(self) -> bool: ...

    def acquire(self) -> bool:
        """Take the lease if it is free (never waits); whether it is held now."""
        ...

    def release(self) -> None: ...

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """A session whose commit can only succeed while the lease is held; raises
        ``SigningLeaseLost`` (and marks the lease lost) when the lease's connection is gone."""
        ...


class LocalLease:
    """The lease of a store only this process uses (SQLite, held by ``hold_sqlite_store``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def held(self) -> bool:
        return True

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session:
            yield session


_TRY_LOCK = text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:k AS integer))")
_UNLOCK = text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:k AS integer))")


class AdvisoryLease:
    """PostgreSQL advisory locks on the signing addresses, held by one dedicated connection."""

    def __init__(self, engine: Engine, addresses: Iterable[str]) -> None:
        # NullPool: closing the connection ends the database session, which frees the locks.
        self._engine = create_engine(engine.url, poolclass=NullPool)
        self.keys = sorted({lock_key(a) for a in addresses})
        self._conn: Connection | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        with self._mutex:
            if self._conn is not None:
                return True
            conn = self._engine.connect()
            try:
                for n, key in enumerate(self.keys):
                    ok = conn.execute(_TRY_LOCK, {"ns": LOCK_NAMESPACE, "k": key}).scalar()
                    if not ok:  # all or nothing: another process signs with one of the keys
                        for taken in self.keys[:n]:
                            conn.execute(_UNLOCK, {"ns": LOCK_NAMESPACE, "k": taken})
                        conn.commit()
                        conn.close()
                        return False
                conn.commit()
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            return True

    def release(self) -> None:
        with self._mutex:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self.release()
        self._engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        with self._mutex:
            if self._conn is None:
                raise SigningLeaseLost("the signing lease is not held")
            try:
                with Session(bind=self._conn, expire_on_commit=False) as session:
                    yield session
            except DBAPIError as exc:
                lost = isinstance(exc, OperationalError | InterfaceError)
                if exc.connection_invalidated or lost:
                    self._drop()
                    raise SigningLeaseLost(f"its database connection failed: {exc.orig}") from exc
                raise


def signing_lease(engine: Engine, addresses: Iterable[str]) -> Lease:
    """The lease fitting the store: advisory locks on PostgreSQL, the process's own on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, addresses)
    return LocalLease(engine)


_HELD: dict[str, list[int]] = {}  # lock file → [descriptor, holds in this process]


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def hold_sqlite_store(url: str) -> Callable[[], None]:
    """Hold ``<database>.lock`` exclusively (an ``flock``) until the returned function is called
    (or the process ends); ``ConfigurationError`` when another process holds it: a second gateway
    on one SQLite store would sign with the same keys and nonces. Holds within one process are
    counted. Nothing to hold for PostgreSQL or an in-memory database."""
    path = _sqlite_file(url)
    if path is None:
        return _nothing
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    name = str(lock.resolve())
    if name not in _HELD:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ConfigurationError(
                f"another gateway (pid {holder}) serves the store {path}: one gateway process "
                "per SQLite store; stop it first, or run replicas on a PostgreSQL store"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[name] = [fd, 0]
    _HELD[name][1] += 1
    released = False

    def release() -> None:
        nonlocal released
        if released or name not in _HELD:
            return
        released = True
        _HELD[name][1] -= 1
        if _HELD[name][1] == 0:
            os.close(_HELD.pop(name)[0])  # closing the descriptor releases the flock

    return release


def _nothing() -> None:
    pass
