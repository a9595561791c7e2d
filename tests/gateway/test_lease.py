"""The signing lease and the claim, without a chain (issue 26): one process at a time holds a
signing address; a write under a lost lease commits nothing; a request is claimed once, and its
signed bytes are only saved over its own claim; a second process on one SQLite store is refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlmodel import Session, select

from tests.factories import temporary_database
from tracenet.gateway.errors import ConfigurationError, SigningLeaseLost
from tracenet.gateway.pipeline._lease import AdvisoryLease, LocalLease, hold_sqlite_store
from tracenet.gateway.pipeline._models import SignerState, Status
from tracenet.gateway.pipeline._store import NewRequest, Store, _insert_batch, make_engine
from tracenet.gateway.pipeline._transitions import ClaimConflict, claim, save_bytes

A, B, C = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40


@pytest.fixture
def pg_store() -> Iterator[Store]:
    with temporary_database("tracenet_lease") as url:
        store = Store(make_engine(url))
        try:
            yield store
        finally:
            store.close()


@pytest.mark.integration
def test_one_process_at_a_time_holds_a_signing_address(pg_store: Store) -> None:
    first, second = AdvisoryLease(pg_store.engine, [A, B]), AdvisoryLease(pg_store.engine, [A, B])
    overlapping = AdvisoryLease(pg_store.engine, [B, C])
    try:
        assert first.acquire() and first.held
        assert not second.acquire() and not second.held
        assert not overlapping.acquire(), "B is held by the first"
        third = AdvisoryLease(pg_store.engine, [C])
        assert third.acquire(), "all or nothing: the overlapping one kept no lock on C"
        third.close()
        first.release()
        assert second.acquire(), "the lock is free once its holder let go"
    finally:
        for lease in (first, second, overlapping):
            lease.close()


@pytest.mark.integration
def test_a_write_under_a_lease_whose_connection_was_cut_commits_nothing(
    pg_store: Store,
) -> None:
    lease, survivor = AdvisoryLease(pg_store.engine, [A]), AdvisoryLease(pg_store.engine, [A])
    try:
        assert lease.acquire()
        with lease.session() as session:
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        url = pg_store.engine.url.set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        def allocate(session: Session) -> None:
            session.add(SignerState(address=A, next_nonce=7))

        with pytest.raises(SigningLeaseLost, match="connection failed"):
            asyncio.run(pg_store.write_leased(lease, allocate))
        assert not lease.held
        with pytest.raises(SigningLeaseLost, match="not held"):
            asyncio.run(pg_store.write_leased(lease, allocate))
        assert pg_store.nonces() == {}, "a write under a lost lease committed"
        assert survivor.acquire(), "the cut connection's lock was freed"
    finally:
        lease.close()
        survivor.close()


def _queued(store: Store, n: int) -> None:
    def row(i: int) -> NewRequest:
        return NewRequest(
            id=f"r{i}", party_id=3, unit_id=1, operation="record_production",
            idempotency_key=None, api_key_id=1, body_hash="0" * 64, payload={}, to_address=C,
            call_data="0x",
        )  # fmt: skip

    store.write_sync(_insert_batch, [row(i) for i in range(n)])


def _assign(rows: Any, stored: dict[str, int]) -> list[tuple[int, dict[str, Any]]]:
    return [
        (r.seq, {"status": Status.SIGNED, "signer": A, "nonce": stored.get(A, 0) + i,
                 "signed_at": None})
        for i, r in enumerate(rows)
    ]  # fmt: skip


def test_a_request_is_claimed_once_and_only_its_claim_gets_the_signed_bytes(
    tmp_path: Path,
) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path}/gw.db"))
    lease = LocalLease(store.engine)
    try:
        _queued(store, 3)
        _, out = asyncio.run(store.write_leased(lease, claim, 2, _assign))
        assert [seq for seq, _ in out] == [1, 2] and [v["nonce"] for _, v in out] == [0, 1]
        assert store.nonces() == {A: 2}, "the claim commits the next nonce"
        _, out = asyncio.run(store.write_leased(lease, claim, 10, _assign))
        assert [(seq, v["nonce"]) for seq, v in out] == [(3, 2)], "claimed rows are not again"
        assert [r.seq for r in store.unsigned()] == [1, 2, 3]

        def signed(seq: int, nonce: int) -> tuple[int, dict[str, Any]]:
            return seq, {"signer": A, "nonce": nonce, "raw_tx": "0x01", "tx_hash": f"0x{seq:064x}"}

        with pytest.raises(ClaimConflict, match="1 of 2 claims changed"):
            asyncio.run(store.write_leased(lease, save_bytes, [signed(1, 0), signed(2, 5)]))
        assert [r.seq for r in store.unsigned()] == [1, 2, 3], "a refused save saved nothing"
        asyncio.run(store.write_leased(lease, save_bytes, [signed(1, 0), signed(2, 1)]))
        assert [r.seq for r in store.unsigned()] == [3]
        assert [r.seq for r in store.in_flight()] == [1, 2]
        with pytest.raises(ClaimConflict):  # bytes are never saved over saved bytes
            asyncio.run(store.write_leased(lease, save_bytes, [signed(1, 0)]))
        with Session(store.engine) as session:
            assert session.exec(select(SignerState.next_nonce)).all() == [3]
    finally:
        store.close()


def test_a_second_process_on_one_sqlite_store_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gw.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\n"
         "from tracenet.gateway.pipeline._lease import hold_sqlite_store"
         f"\nhold_sqlite_store({url!r})\nprint('held', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ConfigurationError) as refused:
            hold_sqlite_store(url)
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and f"{tmp_path}/gw.db" in message, message
        assert "\n" not in message
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=20)
        holder.stdout.close()
    hold_sqlite_store(url)()  # free once the other process is gone; taken and let go
