"""Gateway throughput: shipments through one gateway to ``confirmed``, against a naive baseline.

    python benchmarks/gateway.py [--writes 10000] [--clients 64] [--signers 8] [--baseline 20]

Starts anvil (1 s blocks, 2e9 block gas limit) and one ``tracenet gateway serve`` subprocess,
drives ``--writes`` shipments from ``--clients`` concurrent HTTP clients, waits until every one is
final, then measures the naive way (web3 transact + wait_for_transaction_receipt, one at a time).
Prints JSON, then a table. Latency to confirmed uses the gateway's ``final_at`` (same host clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node import AnvilNode, NodeSettings
from tests.gateway.anvil_setup import setup
from tests.gateway.test_reliability import Gateway, body, free_port, gateway_env


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


async def drive(
    gw: Gateway, key: str, token: int, n: int, clients: int
) -> tuple[dict[str, float], list[float]]:
    sent_at: dict[str, float] = {}
    accept_ms: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=gw.url, timeout=60, limits=limits, trust_env=False) as c:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                t0 = time.time()
                r = await c.post(
                    "/v1/shipments",
                    json=body(i, token),
                    headers={**headers, "Idempotency-Key": f"b{i}"},
                )
                accept_ms.append((time.time() - t0) * 1000)
                assert r.status_code == 202, r.text
                sent_at[r.json()["id"]] = t0

        await asyncio.gather(*(worker() for _ in range(clients)))
    return sent_at, accept_ms


def wait_final(gw: Gateway, key: str, sent_at: dict[str, float]) -> tuple[list[float], int, float]:
    headers = {"Authorization": f"Bearer {key}"}
    while True:
        rows, after = [], 0
        while page := httpx.get(
            gw.url + "/v1/requests",
            params={"after": after, "limit": 1000},
            headers=headers,
            timeout=60,
        ).json():
            rows += page
            after += len(page)
        final = [r for r in rows if r["status"] in ("confirmed", "rejected")]
        if len(final) >= len(sent_at):
            break
        time.sleep(0.5)
    ends = {r["id"]: datetime.fromisoformat(r["final_at"]).timestamp() for r in final}
    confirm_ms = [(ends[i] - t) * 1000 for i, t in sent_at.items()]
    confirmed = sum(r["status"] == "confirmed" for r in final)
    return confirm_ms, confirmed, max(ends.values())


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--writes", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--signers", type=int, default=8)
    p.add_argument("--baseline", type=int, default=20)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ns = NodeSettings(
            data_dir=tmp / "node", port=free_port(), block_time=1, gas_limit=2_000_000_000
        )
        with AnvilNode(ns) as node:
            from web3 import Web3

            w3 = Web3(Web3.HTTPProvider(ns.rpc_url))
            world = setup(w3, tmp, plant_signers=a.signers)
            env = gateway_env(
                world,
                node.rpc_url,
                tmp / "gw.db",
                free_port(),
                TRACENET_GATEWAY_TX_GAS="300000",
                TRACENET_GATEWAY_LOG_LEVEL="WARNING",
            )
            import subprocess

            out = subprocess.run(
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
            key = json.loads(out.stdout)["api_key"]
            gw = Gateway(env, int(env["TRACENET_GATEWAY_PORT"]), tmp / "gateway.log")
            gw.start()
            try:
                t0 = time.time()
                sent_at, accept_ms = asyncio.run(
                    drive(gw, key, world.token_id, a.writes, a.clients)
                )
                t_accepted = time.time() - t0
                confirm_ms, confirmed, last_end = wait_final(gw, key, sent_at)
                elapsed = last_end - t0
            finally:
                gw.stop()
            # Baseline: one write at a time, web3 transact + wait for its receipt.
            import contracts
            from tests.gateway.anvil_setup import _send_all

            record = json.loads(world.deployment_path.read_text())
            ledger = w3.eth.contract(
                address=record["addresses"]["Ledger"], abi=contracts.load_artifact("Ledger").abi
            )
            feeder = w3.eth.accounts[2]
            b0 = time.time()
            for i in range(a.baseline):
                req = (
                    2,
                    1,
                    1000,
                    bytes.fromhex(body(10**9 + i, 0)["document_hash"][2:]),
                    b"PO".ljust(32, b"\0"),
                    b"f".ljust(32, b"\0"),
                    [world.token_id],
                    [1],
                )
                _send_all(w3, [(ledger.functions.ship(req), feeder)])
            base_rate = a.baseline / (time.time() - b0)
    rate = confirmed / elapsed
    result = {
        "writes": a.writes,
        "clients": a.clients,
        "signers": a.signers,
        "confirmed": confirmed,
        "accept_rate_per_s": round(a.writes / t_accepted, 1),
        "confirmed_ops_per_s": round(rate, 1),
        "p50_202_ms": round(statistics.median(accept_ms), 1),
        "p95_202_ms": round(pct(accept_ms, 95), 1),
        "p99_202_ms": round(pct(accept_ms, 99), 1),
        "p50_confirmed_ms": round(statistics.median(confirm_ms), 1),
        "p95_confirmed_ms": round(pct(confirm_ms, 95), 1),
        "p99_confirmed_ms": round(pct(confirm_ms, 99), 1),
        "baseline_ops": a.baseline,
        "baseline_ops_per_s": round(base_rate, 2),
        "ratio_to_baseline": round(rate / base_rate, 1),
    }
    print(json.dumps(result))
    for k, v in result.items():
        print(f"{k:<22} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
