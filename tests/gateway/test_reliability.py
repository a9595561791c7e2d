"""Crash and restart on the real node: nothing accepted is lost, nothing is mined twice.

The gateway runs as a real ``tracenet gateway serve`` subprocess on a real anvil. Every write is a
shipment with its own document hash and Idempotency-Key; at the end each key that was answered
202 must have exactly one request, final, and the chain must hold exactly one ``Shipped`` event
with its document hash if it was confirmed (none if it was rejected).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from tests._support import free_port as free_port
from tests.gateway.anvil_setup import AnvilWorld, gateway_env, setup, wait_for
from tracenet import contracts
from tracenet.node import AnvilNode, NodeSettings

pytestmark = pytest.mark.integration


class Gateway:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracenet.cli", "gateway", "serve"],
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        wait_for(self._ready, timeout=60, what="gateway ready")

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            return bool(httpx.get(self.url + "/v1/health", timeout=1).json()["pipeline_ready"])
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def helpers(self) -> list[int]:
        """Pids of the gateway's forked signing/decoding helpers (Linux /proc)."""
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[AnvilNode, Web3, AnvilWorld]]:
    settings = NodeSettings(
        data_dir=tmp_path / "node",
        port=free_port(),
        block_time=1,
        gas_limit=1_000_000_000,
        state_interval=1,
    )
    node = AnvilNode(settings)
    node.start()
    try:
        w3 = Web3(Web3.HTTPProvider(settings.rpc_url))
        world = setup(w3, tmp_path)
        node.stop()  # a clean stop dumps the state: setup survives a later SIGKILL
        node.start()
        yield node, w3, world
    finally:
        if node.pid is not None:
            node.stop()


@pytest.fixture
def gateway(
    chain: tuple[AnvilNode, Web3, AnvilWorld], tmp_path: Path
) -> Iterator[tuple[Gateway, str]]:
    node, _, world = chain
    port = free_port()
    env = gateway_env(
        world,
        node.rpc_url,
        tmp_path / "gw.db",
        port,
        TRACENET_GATEWAY_TX_GAS="400000",
        TRACENET_GATEWAY_RESEND_AFTER="1.0",
        TRACENET_GATEWAY_POLL_INTERVAL="0.1",
    )
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracenet.cli",
            "gateway",
            "keys",
            "create",
            "--party",
            "recycler",
            "--scope",
            "write",
        ],
        env=env,
        capture_output=True,
        check=True,
    )
    key = json.loads(created.stdout)["api_key"]
    gw = Gateway(env, port, tmp_path / "gateway.log")
    gw.start()
    yield gw, key
    gw.stop()
    assert key not in gw.log.read_text(), "an API key reached the log"
    assert "integration-passphrase" not in gw.log.read_text(), "the passphrase reached the log"


def doc(i: int) -> str:
    return "0x" + hashlib.sha256(f"shipment-{i}".encode()).hexdigest()


def body(i: int, token: int) -> dict[str, Any]:
    return {
        "unit": "plant",
        "to_unit": "brand-dc",
        "product_group": "pet-flakes",
        "quantity": 1000,
        "document_hash": doc(i),
        "order_ref": f"PO-{i}",
        "product": "flakes",
        "lines": [{"token_id": str(token), "amount": 1}],
    }


async def write_all(
    gw: Gateway,
    key: str,
    token: int,
    indices: list[int],
    answered: dict[int, str],
    *,
    retry: bool,
    concurrency: int = 64,
) -> None:
    """POST each write; record the id of every 202/200. With ``retry``, until answered."""
    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=gw.url, timeout=30, trust_env=False) as client:

        async def one(i: int) -> None:
            async with limit:
                for _ in range(600 if retry else 1):
                    try:
                        r = await client.post(
                            "/v1/shipments",
                            json=body(i, token),
                            headers={**headers, "Idempotency-Key": f"k{i}"},
                        )
                    except httpx.HTTPError:
                        r = None
                    if r is not None and r.status_code in (200, 202):
                        rid = r.json()["id"]
                        assert answered.setdefault(i, rid) == rid, f"key k{i} got two ids"
                        return
                    assert r is None or r.status_code == 503, r.text
                    if not retry:
                        return
                    await asyncio.sleep(0.1)

        await asyncio.gather(*(one(i) for i in indices))


def finals(gw: Gateway, key: str) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    after = 0
    while True:
        page = httpx.get(
            gw.url + "/v1/requests",
            params={"after": after, "limit": 1000},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).json()
        if not page:
            return rows
        for row in page:
            rows[row["id"]] = row
        after = max(after, *(r["seq"] for r in page)) if "seq" in page[0] else after + len(page)


def check_exactly_once(
    w3: Web3, world: AnvilWorld, gw: Gateway, key: str, answered: dict[int, str]
) -> None:
    def all_final() -> dict[str, dict[str, Any]] | None:
        rows = finals(gw, key)
        done = all(
            rows.get(r, {}).get("status") in ("confirmed", "rejected") for r in answered.values()
        )
        return rows if done else None

    rows = wait_for(all_final, timeout=180, what="every accepted request to end")
    record = json.loads(world.deployment_path.read_text())
    ledger = w3.eth.contract(
        address=record["addresses"]["Ledger"],
        abi=contracts.load_artifact("Ledger").abi,
    )
    logs = ledger.events.Shipped().get_logs(from_block=record["blockNumber"])
    shipped = Counter("0x" + bytes(e["args"]["documentHash"]).hex() for e in logs)
    assert max(shipped.values(), default=0) <= 1, "a shipment was mined twice"
    confirmed = 0
    for i, rid in answered.items():
        status = rows[rid]["status"]
        assert shipped[doc(i)] == (1 if status == "confirmed" else 0), (i, rows[rid])
        confirmed += status == "confirmed"
    assert sum(shipped.values()) == confirmed
    assert len(rows) == len(answered), "the store holds requests nobody was answered for"


def test_sigkill_of_the_gateway_mid_burst_loses_nothing(
    chain: tuple[AnvilNode, Web3, AnvilWorld], gateway: tuple[Gateway, str]
) -> None:
    _, w3, world = chain
    gw, key = gateway
    answered: dict[int, str] = {}
    indices = list(range(1000))

    async def burst_then_kill() -> None:
        task = asyncio.create_task(
            write_all(gw, key, world.token_id, indices, answered, retry=False)
        )
        while len(answered) < 300 and not task.done():
            await asyncio.sleep(0.01)
        gw.kill()
        await task

    asyncio.run(burst_then_kill())
    first = dict(answered)
    assert 300 <= len(first) < 1000
    gw.start()
    asyncio.run(write_all(gw, key, world.token_id, indices, answered, retry=True))
    assert all(answered[i] == rid for i, rid in first.items()), "a replay got a new id"
    assert len(answered) == 1000
    check_exactly_once(w3, world, gw, key, answered)


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_chain_restart_mid_burst_loses_nothing(
    chain: tuple[AnvilNode, Web3, AnvilWorld], gateway: tuple[Gateway, str], how: str
) -> None:
    node, w3, world = chain
    gw, key = gateway
    answered: dict[int, str] = {}
    indices = list(range(400))

    async def burst_with_restart() -> None:
        task = asyncio.create_task(
            write_all(gw, key, world.token_id, indices, answered, retry=True)
        )
        while len(answered) < 150:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(node.stop if how == "stop" else node.kill)
        await asyncio.to_thread(node.start)
        await task

    asyncio.run(burst_with_restart())
    assert len(answered) == 400
    check_exactly_once(w3, world, gw, key, answered)


def test_sigkill_of_the_signing_helper_mid_burst_loses_nothing(
    chain: tuple[AnvilNode, Web3, AnvilWorld], gateway: tuple[Gateway, str]
) -> None:
    """The helper that signs dies: the gateway forks a new one, re-uses the nonces it had
    allocated for the lost batch, and every accepted write still ends exactly once."""
    _, w3, world = chain
    gw, key = gateway
    answered: dict[int, str] = {}
    indices = list(range(400))
    helpers = gw.helpers()
    assert helpers, "the gateway runs no helper process"

    async def burst_with_helper_kill() -> None:
        task = asyncio.create_task(
            write_all(gw, key, world.token_id, indices, answered, retry=True)
        )
        while len(answered) < 100:
            await asyncio.sleep(0.01)
        for pid in helpers:
            os.kill(pid, signal.SIGKILL)
        await task

    asyncio.run(burst_with_helper_kill())
    assert len(answered) == 400
    check_exactly_once(w3, world, gw, key, answered)
    assert gw.proc is not None and gw.proc.poll() is None, "the gateway died with its helper"
    now = gw.helpers()
    assert now and not set(now) & set(helpers), "no new helper was forked"
    assert "forking a new one" in gw.log.read_text()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_signing_helpers_die_when_the_gateway_is_sigkilled(
    gateway: tuple[Gateway, str],
) -> None:
    """The helpers hold unlocked keys: a SIGKILL of the gateway alone (not its process group)
    must not leave them running as orphans."""
    gw, _ = gateway
    helpers = gw.helpers()
    assert len(helpers) >= 2 and all(_alive(p) for p in helpers), helpers
    assert gw.proc is not None
    os.kill(gw.proc.pid, signal.SIGKILL)
    gw.proc.wait(timeout=10)
    wait_for(lambda: not any(_alive(p) for p in helpers), timeout=10, what="helpers to die")
