"""Two gateways of one party on one store: every accepted write on chain exactly once.

Real ``tracenet gateway serve`` processes on a real anvil and a real PostgreSQL store (issue 26).
Any number of replicas accept writes; one at a time signs (a PostgreSQL advisory lock per
signing address, held on a connection of its own). Writes go alternately to both replicas; at
the end each write answered 202/200 must be final, the chain must hold its event exactly once if
it is ``confirmed`` and not at all if it is ``rejected``, and nothing may be on chain twice.
A second gateway on one SQLite store is refused at start.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from web3 import Web3

from tests.factories import PG_ADMIN, temporary_database
from tests.gateway.anvil_setup import AnvilWorld, gateway_env, wait_for
from tests.gateway.test_reliability import Gateway, free_port
from tests.gateway.test_reliability import chain as chain
from tracenet import contracts
from tracenet.node import AnvilNode

pytestmark = pytest.mark.integration

LOCK_NAMESPACE = 0x54524E47  # "TRNG": the advisory locks' first key (gateway/pipeline/_lease.py)


class Replica(Gateway):
    """A gateway process that counts as started once it answers, signing or standing by."""

    def _ready(self) -> bool:
        return self.role() in ("signing", "standby")

    def role(self) -> str | None:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            health = httpx.get(self.url + "/v1/health", timeout=1).json()
        except (httpx.HTTPError, ValueError):
            return None
        return str(health.get("role"))


@pytest.fixture
def pg_store() -> Iterator[str]:
    with temporary_database("tracenet_replicas") as url:
        yield url


def _replicas(
    chain: tuple[AnvilNode, Web3, AnvilWorld], tmp_path: Path, database_url: str, n: int = 2
) -> tuple[list[Replica], str]:
    node, _, world = chain
    replicas = []
    for i in range(n):
        env = gateway_env(
            world,
            node.rpc_url,
            tmp_path / "unused.db",
            free_port(),
            TRACENET_GATEWAY_TX_GAS="400000",
            TRACENET_GATEWAY_RESEND_AFTER="1.0",
            TRACENET_GATEWAY_POLL_INTERVAL="0.1",
            TRACENET_GATEWAY_TAKEOVER_INTERVAL="0.2",
        )
        env["TRACENET_GATEWAY_DATABASE_URL"] = database_url
        replicas.append(Replica(env, int(env["TRACENET_GATEWAY_PORT"]), tmp_path / f"gw{i}.log"))
    cmd = [sys.executable, "-m", "tracenet.cli", "gateway", "keys", "create",
           "--party", "recycler", "--scope", "write"]  # fmt: skip
    created = subprocess.run(cmd, env=replicas[0].env, capture_output=True, check=True)
    return replicas, json.loads(created.stdout)["api_key"]


def evidence(kind: str, i: int) -> str:
    return "0x" + hashlib.sha256(f"replicas-{kind}-{i}".encode()).hexdigest()


def write(i: int) -> tuple[str, dict[str, Any]]:
    """Write ``i``: a production (even) or a certified input (odd), each with its own hash."""
    if i % 2 == 0:
        return "/v1/productions", {
            "unit": "plant", "product_group": "pet-flakes", "quantity": 1000 + i,
            "document_hash": evidence("production", i),
        }  # fmt: skip
    return "/v1/inputs", {
        "unit": "plant", "class": "rpet-flake", "amount": 1000 + i, "certificate": "ISCC-1",
        "evidence_hash": evidence("input", i),
    }  # fmt: skip


async def send_alternately(
    replicas: list[Replica], key: str, indices: list[int], answered: dict[int, str]
) -> None:
    """POST write ``i`` to replica ``i % n``; a replica that does not answer (killed), to the
    next one, with the same Idempotency-Key, until some replica answers 202/200."""
    limit = asyncio.Semaphore(48)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:

        async def one(i: int) -> None:
            path, body = write(i)
            async with limit:
                for attempt in range(200):
                    replica = replicas[(i + attempt) % len(replicas)]
                    try:
                        r = await client.post(
                            replica.url + path, json=body,
                            headers={**headers, "Idempotency-Key": f"k{i}"},
                        )  # fmt: skip
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)  # a dead replica: try the next one
                        continue
                    assert r.status_code in (200, 202), r.text
                    rid = r.json()["id"]
                    assert answered.setdefault(i, rid) == rid, f"key k{i} got two ids"
                    return
                raise AssertionError(f"write {i}: no replica answered")

        await asyncio.gather(*(one(i) for i in indices))


def requests_of(replica: Replica, key: str) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    after = 0
    while True:
        page = httpx.get(
            replica.url + "/v1/requests", params={"after": after, "limit": 1000},
            headers={"Authorization": f"Bearer {key}"}, timeout=30,
        ).json()  # fmt: skip
        if not page:
            return rows
        for row in page:
            rows[row["id"]] = row
        after += len(page)  # one page holds every write of these tests


def tally(
    w3: Web3, world: AnvilWorld, replica: Replica, key: str, answered: dict[int, str]
) -> dict[str, Any]:
    """Once every accepted write is final: the chain's events per write against the statuses."""

    def all_final() -> dict[str, dict[str, Any]] | None:
        rows = requests_of(replica, key)
        done = all(
            rows.get(r, {}).get("status") in ("confirmed", "rejected") for r in answered.values()
        )
        return rows if done else None

    rows = wait_for(all_final, timeout=240, what="every accepted write to end")
    record = json.loads(world.deployment_path.read_text())
    ledger = w3.eth.contract(
        address=record["addresses"]["Ledger"], abi=contracts.load_artifact("Ledger").abi
    )
    start = record["blockNumber"]
    on_chain = Counter(
        "0x" + bytes(e["args"]["documentHash"]).hex()
        for e in ledger.events.ProductionRecorded().get_logs(from_block=start)
    ) + Counter(
        "0x" + bytes(e["args"]["evidenceHash"]).hex()
        for e in ledger.events.InputRecorded().get_logs(from_block=start)
    )
    figures = {"accepted": len(answered), "confirmed": 0, "rejected": 0, "duplicates": 0,
               "wrong_status": 0, "unanswered_rows": len(rows) - len(answered)}  # fmt: skip
    wrong = []
    for i, rid in answered.items():
        status = rows[rid]["status"]
        copies = on_chain[evidence("production" if i % 2 == 0 else "input", i)]
        figures[status] += 1
        figures["duplicates"] += max(0, copies - 1)
        if copies != (1 if status == "confirmed" else 0):
            figures["wrong_status"] += 1
            wrong.append((i, status, copies, rows[rid].get("outcome")))
    print("replicas:", json.dumps(figures), wrong[:5])
    return figures


def check_exactly_once(figures: dict[str, Any]) -> None:
    assert figures["duplicates"] == 0, f"writes on chain twice: {figures}"
    assert figures["wrong_status"] == 0, f"statuses the chain contradicts: {figures}"
    assert figures["unanswered_rows"] == 0, f"rows nobody was answered for: {figures}"
    assert figures["rejected"] == 0, f"valid writes rejected: {figures}"


def signing(replicas: list[Replica]) -> list[Replica]:
    return [r for r in replicas if r.proc is not None and r.proc.poll() is None
            and r.role() == "signing"]  # fmt: skip


def test_two_live_replicas_on_one_store_write_everything_exactly_once(
    chain: tuple[AnvilNode, Web3, AnvilWorld], pg_store: str, tmp_path: Path
) -> None:
    _, w3, world = chain
    replicas, key = _replicas(chain, tmp_path, pg_store)
    try:
        for replica in replicas:
            replica.start()
        wait_for(lambda: len(signing(replicas)) == 1, timeout=30, what="one signing replica")
        answered: dict[int, str] = {}
        asyncio.run(send_alternately(replicas, key, list(range(400)), answered))
        assert len(answered) == 400
        check_exactly_once(tally(w3, world, replicas[1], key, answered))
        assert len(signing(replicas)) == 1, "two replicas signed at once"
    finally:
        for replica in replicas:
            replica.stop()


def test_sigkill_of_the_signing_replica_mid_burst_the_other_takes_over(
    chain: tuple[AnvilNode, Web3, AnvilWorld], pg_store: str, tmp_path: Path
) -> None:
    _, w3, world = chain
    replicas, key = _replicas(chain, tmp_path, pg_store)
    try:
        for replica in replicas:
            replica.start()
        (holder,) = wait_for(lambda: signing(replicas), timeout=30, what="a signing replica")
        (survivor,) = [r for r in replicas if r is not holder]
        answered: dict[int, str] = {}
        killed: list[datetime] = []

        async def burst_then_kill() -> None:
            task = asyncio.create_task(send_alternately(replicas, key, list(range(400)), answered))
            while len(answered) < 150 and not task.done():
                await asyncio.sleep(0.01)
            holder.kill()
            killed.append(datetime.now(UTC))
            await task

        asyncio.run(burst_then_kill())
        assert len(answered) == 400
        wait_for(lambda: survivor.role() == "signing", timeout=30, what="the survivor to sign")
        check_exactly_once(tally(w3, world, survivor, key, answered))
        (ready,) = [ts for ts, msg in log_lines(survivor) if msg.startswith("pipeline ready")]
        print(f"failover: signing again {(ready - killed[0]).total_seconds():.2f} s after the kill")
        assert ready > killed[0], "the survivor signed before the holder died"
    finally:
        for replica in replicas:
            replica.stop()


def log_lines(replica: Replica) -> list[tuple[datetime, str]]:
    """(time, message) of each line of a replica's JSON-lines log."""
    lines = [json.loads(x) for x in replica.log.read_text().splitlines() if x.startswith("{")]
    return [(datetime.fromisoformat(x["ts"]), str(x["msg"])) for x in lines]


def _lock_holders(database_url: str) -> list[int]:
    """Backend pids holding the gateway's advisory locks."""
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database_url.rsplit("/", 1)[1]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s::bigint::oid",
            (LOCK_NAMESPACE,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def test_the_signing_replica_that_loses_its_lock_connection_stops_signing(
    chain: tuple[AnvilNode, Web3, AnvilWorld], pg_store: str, tmp_path: Path
) -> None:
    """The lock's connection is cut mid-burst (the database ended its session): the holder
    stops signing at once; a replica takes the lock again and every write lands once."""
    _, w3, world = chain
    replicas, key = _replicas(chain, tmp_path, pg_store)
    try:
        for replica in replicas:
            replica.start()
        (holder,) = wait_for(lambda: signing(replicas), timeout=30, what="a signing replica")
        (pid,) = _lock_holders(pg_store)
        answered: dict[int, str] = {}

        async def burst_then_cut() -> None:
            task = asyncio.create_task(send_alternately(replicas, key, list(range(400)), answered))
            while len(answered) < 150 and not task.done():
                await asyncio.sleep(0.01)
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await task

        asyncio.run(burst_then_cut())
        assert len(answered) == 400
        check_exactly_once(tally(w3, world, replicas[0], key, answered))
        assert "lost the signing lease" in holder.log.read_text()
        wait_for(lambda: len(signing(replicas)) == 1, timeout=30, what="one signing replica")
        assert all(r.proc is not None and r.proc.poll() is None for r in replicas)
    finally:
        for replica in replicas:
            replica.stop()


def test_a_second_gateway_on_one_sqlite_store_is_refused_at_start(
    chain: tuple[AnvilNode, Web3, AnvilWorld], tmp_path: Path
) -> None:
    node, _, world = chain
    database = tmp_path / "gw.db"
    envs = [gateway_env(world, node.rpc_url, database, free_port()) for _ in range(2)]
    first = Gateway(envs[0], int(envs[0]["TRACENET_GATEWAY_PORT"]), tmp_path / "first.log")
    first.start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "tracenet.cli", "gateway", "serve"],
            env=envs[1], capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode != 0
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
        assert str(database) in lines[0] and "another gateway" in lines[0], lines[0]
        assert first.proc is not None and first.proc.poll() is None, "the first one stopped"
    finally:
        first.stop()
    again = Gateway(envs[1], int(envs[1]["TRACENET_GATEWAY_PORT"]), tmp_path / "again.log")
    again.start()  # once the first is gone, the store is free
    again.stop()
