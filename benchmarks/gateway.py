"""Gateway throughput: shipments through one gateway to ``confirmed``, against a naive baseline.

    python benchmarks/gateway.py [--writes 10000] [--clients 64] [--signers 8] [--baseline 30]

Starts anvil (1 s blocks, 2e9 block gas limit) and one ``tracenet gateway serve`` subprocess
(uvicorn, its own process), then drives ``--writes`` shipments from ``--clients`` concurrent
HTTP/1.1 keep-alive connections. The load generator is a minimal asyncio client (one request in
flight per connection, bodies encoded ahead): httpx costs ~1 ms of CPU per request, which on a
2-core machine would be taken from the gateway it measures. Request→202 is timed by the client
(send → full response read). Request→confirmed ends at the request's ``final_at`` in the gateway's
store (same host clock), i.e. the moment the gateway saw the receipt in a block.

Every write goes through the whole path: API key, validation, durable insert (group commit),
signing, submission and receipt tracking; the benchmark waits until every request is final.

The baseline is web3.py ``transact`` + ``wait_for_transaction_receipt``, one at a time, on the
same chain (1 s block time, so about one write per block). Prints JSON, then a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node import AnvilNode, NodeSettings
from tests.gateway.anvil_setup import AnvilWorld, gateway_env, setup
from tests.gateway.test_reliability import Gateway, body, free_port


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def _request(port: int, key: str, i: int, token: int) -> bytes:
    payload = json.dumps(body(i, token)).encode()
    head = (
        f"POST /v1/shipments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nIdempotency-Key: b{i}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def drive(
    port: int, key: str, token: int, n: int, clients: int
) -> tuple[dict[str, float], list[float], float]:
    """POST ``n`` shipments over ``clients`` keep-alive connections; (ids→t0, 202 ms, elapsed)."""
    requests = [_request(port, key, i, token) for i in range(n)]
    sent_at: dict[str, float] = {}
    accept_ms: list[float] = []
    cursor = iter(range(n))
    reconnects: list[int] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in cursor:
                for attempt in range(5):
                    t0 = time.time()
                    try:
                        writer.write(requests[i])
                        status, answer = await _read_response(reader)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError) as exc:
                        # the server closed an idle keep-alive connection: reconnect, resend
                        # (same Idempotency-Key, so a resent write is never a second request)
                        writer.close()
                        reconnects.append(i)
                        if attempt == 4:
                            raise RuntimeError(f"write {i}: connection failed") from exc
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                accept_ms.append((time.time() - t0) * 1000)
                assert status == 202, answer[:500]
                sent_at[json.loads(answer)["id"]] = t0
        finally:
            writer.close()

    t_start = time.time()
    await asyncio.gather(*(connection() for _ in range(clients)))
    if reconnects:
        print(f"{len(reconnects)} requests were re-sent on a new connection", file=sys.stderr)
    return sent_at, accept_ms, time.time() - t_start


def wait_final(gw: Gateway, key: str, sent_at: dict[str, float]) -> tuple[list[float], int, float]:
    """Poll the request list until every write is final. Pages start after the longest prefix
    already final (requests are numbered 1, 2, … in this fresh store), so a poll reads only the
    tail that is still moving, not 10,000 rows every time."""
    headers = {"Authorization": f"Bearer {key}"}
    final: dict[str, dict[str, Any]] = {}
    done_prefix = 0
    with httpx.Client(base_url=gw.url, headers=headers, timeout=60, trust_env=False) as client:
        while len(final) < len(sent_at):
            position, moving = done_prefix, False
            while page := client.get(
                "/v1/requests", params={"after": position, "limit": 1000}
            ).json():
                for row in page:
                    position += 1
                    if row["status"] in ("confirmed", "rejected"):
                        final[row["id"]] = row
                        done_prefix = position if not moving else done_prefix
                    else:
                        moving = True
            if len(final) < len(sent_at):
                time.sleep(0.2)
    global PHASES
    PHASES = phases(list(final.values()))
    ends = {i: datetime.fromisoformat(r["final_at"]).timestamp() for i, r in final.items()}
    confirm_ms = [(ends[i] - t) * 1000 for i, t in sent_at.items()]
    confirmed = sum(r["status"] == "confirmed" for r in final.values())
    return confirm_ms, confirmed, max(ends.values())


def cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """User + system CPU of ``pid`` (and its descendants) so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / ticks
    return own + (sum(cpu_seconds(int(c)) for c in children) if descendants else 0.0)


PHASES: dict[str, float] = {}


def phases(rows: list[dict[str, Any]]) -> dict[str, float]:
    """p50 of each step of the pipeline, from the gateway's own timestamps (ms)."""

    def t(row: dict[str, Any], name: str) -> float:
        return datetime.fromisoformat(row[name]).timestamp()

    steps = (("stored_to_signed", "created_at", "signed_at"),
             ("signed_to_submitted", "signed_at", "submitted_at"),
             ("submitted_to_final", "submitted_at", "final_at"))  # fmt: skip
    return {
        f"p50_{name}_ms": round(statistics.median((t(r, b) - t(r, a)) * 1000 for r in rows), 1)
        for name, a, b in steps
        if rows and all(r.get(a) and r.get(b) for r in rows)
    }


def block_stats(w3: Any, first: int, last: int) -> dict[str, int]:
    """Transactions and gas per block over the run: is the block gas limit what caps us?"""
    counts, gas = [], []
    for n in range(first, last + 1):
        block = w3.eth.get_block(n)
        counts.append(len(block["transactions"]))
        gas.append(int(block["gasUsed"]))
    return {
        "blocks": len(counts),
        "max_txs_per_block": max(counts, default=0),
        "max_gas_per_block": max(gas, default=0),
        "block_gas_limit": int(w3.eth.get_block(last)["gasLimit"]),
    }


def baseline(w3: Any, world: AnvilWorld, n: int) -> float:
    """Writes per second of web3 ``transact`` + ``wait_for_transaction_receipt``, one at a time."""
    import contracts

    record = json.loads(world.deployment_path.read_text())
    ledger = w3.eth.contract(
        address=record["addresses"]["Ledger"], abi=contracts.load_artifact("Ledger").abi
    )
    feeder = w3.eth.accounts[2]  # an authorised signer of the plant (anvil dev account)
    t0 = time.time()
    for i in range(n):
        ship = (2, 1, 1000, bytes.fromhex(body(10**9 + i, 0)["document_hash"][2:]),
                b"PO".ljust(32, b"\0"), b"f".ljust(32, b"\0"), [world.token_id], [1])  # fmt: skip
        tx = ledger.functions.ship(ship).transact({"from": feeder, "gas": 400_000, "gasPrice": 0})
        receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=60, poll_latency=0.05)
        assert receipt["status"] == 1
    return n / (time.time() - t0)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--writes", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--signers", type=int, default=8)
    p.add_argument("--baseline", type=int, default=30)
    p.add_argument("--helpers", type=int, default=2, help="TRACENET_GATEWAY_SIGN_PROCESSES")
    p.add_argument("--sqlite-synchronous", default="FULL", choices=("FULL", "NORMAL"))
    p.add_argument("--keep-log", type=Path, help="copy the gateway's log here")
    a = p.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ns = NodeSettings(
            data_dir=tmp / "node", port=free_port(), block_time=1, gas_limit=2_000_000_000
        )
        with AnvilNode(ns) as node:
            from web3 import Web3

            w3 = Web3(Web3.HTTPProvider(ns.rpc_url))
            world = setup(w3, tmp, plant_signers=a.signers)
            port = free_port()
            env = gateway_env(
                world, node.rpc_url, tmp / "gw.db", port,
                TRACENET_GATEWAY_TX_GAS="400000",  # default log level (INFO: a line per write)
                TRACENET_GATEWAY_SIGN_PROCESSES=str(a.helpers),
                TRACENET_GATEWAY_SQLITE_SYNCHRONOUS=a.sqlite_synchronous,
            )  # fmt: skip
            cmd = [sys.executable, "-m", "tracenet.cli", "gateway", "keys", "create",
                   "--party", "recycler", "--scope", "write"]  # fmt: skip
            out = subprocess.run(cmd, env=env, capture_output=True, check=True)
            key = json.loads(out.stdout)["api_key"]
            gw = Gateway(env, port, tmp / "gateway.log")
            gw.start()
            first_block = w3.eth.block_number
            assert gw.proc is not None and node.pid is not None
            pids = {"gateway": gw.proc.pid, "anvil": node.pid}
            cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            server0 = cpu_seconds(gw.proc.pid, descendants=False)
            try:
                t0, p0 = time.time(), time.process_time()
                sent_at, accept_ms, t_accepted = asyncio.run(
                    drive(port, key, world.token_id, a.writes, a.clients)
                )
                loadgen_cpu = (time.process_time() - p0) * 1000 / a.writes
                confirm_ms, confirmed, last_end = wait_final(gw, key, sent_at)
                elapsed = last_end - t0
                cpu = {  # CPU per write (gateway: server + signing helper), from /proc
                    f"{name}_cpu_ms_per_write": round(
                        (cpu_seconds(pid) - cpu0[name]) * 1000 / a.writes, 2
                    )
                    for name, pid in pids.items()
                }
                server = cpu_seconds(gw.proc.pid, descendants=False) - server0
                cpu["gateway_server_cpu_ms_per_write"] = round(server * 1000 / a.writes, 2)
            finally:
                gw.stop()
                if a.keep_log:
                    shutil.copy(tmp / "gateway.log", a.keep_log)
            load_during = os.getloadavg()
            blocks = block_stats(w3, first_block + 1, w3.eth.block_number)
            base_rate = baseline(w3, world, a.baseline)
    rate = confirmed / elapsed
    result = {
        "writes": a.writes,
        "clients": a.clients,
        "signers": a.signers,
        "helpers": a.helpers,
        "sqlite_synchronous": a.sqlite_synchronous,
        "confirmed": confirmed,
        "rejected": len(sent_at) - confirmed,
        "accepted_per_s": round(a.writes / t_accepted, 1),
        "confirmed_ops_per_s": round(rate, 1),
        "p50_202_ms": round(statistics.median(accept_ms), 1),
        "p95_202_ms": round(pct(accept_ms, 95), 1),
        "p99_202_ms": round(pct(accept_ms, 99), 1),
        "p50_confirmed_ms": round(statistics.median(confirm_ms), 1),
        "p95_confirmed_ms": round(pct(confirm_ms, 95), 1),
        "p99_confirmed_ms": round(pct(confirm_ms, 99), 1),
        **PHASES,
        "baseline_ops": a.baseline,
        "baseline_ops_per_s": round(base_rate, 2),
        "ratio_to_baseline": round(rate / base_rate, 1),
        **cpu,
        "loadgen_cpu_ms_per_write": round(loadgen_cpu, 2),
        **blocks,
        "loadavg_1m_before": round(load_before[0], 2),
        "loadavg_1m_after_run": round(load_during[0], 2),
    }
    print(json.dumps(result))
    for k, v in result.items():
        print(f"{k:<32} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
