"""Gateway throughput as ratios to limits measured in the same run, on the same chain.

    python benchmarks/gateway.py [--writes 10000] [--clients 64] [--signers 8] [--quick]

Starts anvil (1 s blocks, 2e9 block gas limit) and measures, one after the other, the same
operation (a shipment of 1 g of credits from the plant to the brand) from the same signers:

1. ``node_intake_ops_per_s``: pre-signed raw transactions sent straight to the node in batches
   as fast as it mines them (the limit; benchmarks/_direct.py);
2. ``peer_ops_per_s``: a competent direct client (async, local nonces, signing and sending
   concurrently, no durability; benchmarks/_direct.py);
3. ``confirmed_ops_per_s`` and ``p95_202_ms``: one ``tracenet gateway serve`` subprocess driven
   by ``--clients`` HTTP/1.1 keep-alive connections (a minimal asyncio client: httpx costs ~1 ms
   of CPU per request, taken from the gateway it measures). Request→202 is timed by the client;
   request→confirmed ends at the request's ``final_at`` in the gateway's store;
4. ``batch_confirmed_ops_per_s``: the same writes through ``POST /v1/batch`` (``--batch-size``
   items per request, ``--batch-clients`` requests in flight);
5. the naive baseline: web3 ``transact`` + ``wait_for_transaction_receipt``, one at a time.

Prints JSON (ratios ``ratio_to_intake``, ``ratio_to_peer``, ``batch_ratio_to_intake`` and the
issue's targets with met/missed flags), then a table. ``--quick`` runs it small: on a loaded
machine it proves the fields, not the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _direct, _drive
from benchmarks._measure import block_stats, cpu_seconds, pct, phases, print_result, ratio, target
from benchmarks._world import (
    PASSPHRASE,
    AnvilWorld,
    Gateway,
    api_key,
    body,
    free_port,
    gateway_env,
    setup,
    ship_args,
)
from tracenet.node import AnvilNode, NodeSettings

POLL_S = 1.0  # between reads of the request list while writes are pending
# Distinct document numbers per phase: every shipment on the chain is its own.
INTAKE_BASE, PEER_BASE, BATCH_BASE, BASELINE_BASE = 2 * 10**9, 3 * 10**9, 4 * 10**9, 10**9


def wait_final(
    gw: Gateway, key: str, sent_at: dict[str, float], *, after: int = 0
) -> tuple[list[float], int, float, dict[str, float]]:
    """Poll the request list (every ``POLL_S``) until every write in ``sent_at`` is final.
    Requests are numbered 1, 2, … in this fresh store, so pages start after the longest prefix
    already final (and after the ``after`` requests of earlier phases), not at the first row
    every time."""
    headers = {"Authorization": f"Bearer {key}"}
    final: dict[str, dict[str, Any]] = {}
    done_prefix = after
    with httpx.Client(base_url=gw.url, headers=headers, timeout=60, trust_env=False) as client:
        while len(final) < len(sent_at):
            position, moving = done_prefix, False
            while page := client.get(
                "/v1/requests", params={"after": position, "limit": 1000}
            ).json():
                for row in page:
                    position += 1
                    if row["status"] in ("confirmed", "rejected"):
                        if row["id"] in sent_at:
                            final[row["id"]] = row
                        done_prefix = position if not moving else done_prefix
                    else:
                        moving = True
            if len(final) < len(sent_at):
                # The end is each row's final_at, whenever it is read: polling oftener only
                # takes CPU from the gateway measured (every poll reads the pending pages).
                time.sleep(POLL_S)
    ends = {i: datetime.fromisoformat(r["final_at"]).timestamp() for i, r in final.items()}
    confirm_ms = [(ends[i] - t) * 1000 for i, t in sent_at.items()]
    confirmed = sum(r["status"] == "confirmed" for r in final.values())
    return confirm_ms, confirmed, max(ends.values()), phases(list(final.values()))


def baseline(w3: Any, world: AnvilWorld, n: int) -> float:
    """Writes per second of web3 ``transact`` + ``wait_for_transaction_receipt``, one at a time."""
    from tracenet import contracts

    record = json.loads(world.deployment_path.read_text())
    ledger = w3.eth.contract(
        address=record["addresses"]["Ledger"], abi=contracts.load_artifact("Ledger").abi
    )
    feeder = w3.eth.accounts[2]  # an authorised signer of the plant (anvil dev account)
    t0 = time.time()
    for i in range(n):
        ship = ship_args(BASELINE_BASE + i, world.token_id)
        tx = ledger.functions.ship(ship).transact({"from": feeder, "gas": 400_000, "gasPrice": 0})
        receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=60, poll_latency=0.05)
        assert receipt["status"] == 1
    return n / (time.time() - t0)


def direct(a: argparse.Namespace, rpc_url: str, world: AnvilWorld) -> dict[str, float]:
    """The node's intake limit and the competent direct client, same signers and operation."""
    from tracenet.wallet import Keystore

    keys = Keystore(world.wallet_dir, scrypt_n=2)
    signers = [keys.unlock(label, PASSPHRASE) for label in world.signers]
    ledger = json.loads(world.deployment_path.read_text())["addresses"]["Ledger"]
    n, token = a.direct_ops, world.token_id
    intake = asyncio.run(_direct.node_intake(
        rpc_url, ledger, signers, [ship_args(INTAKE_BASE + i, token) for i in range(n)]
    ))  # fmt: skip
    peer = asyncio.run(_direct.peer(
        rpc_url, ledger, signers, [ship_args(PEER_BASE + i, token) for i in range(n)],
        concurrency=a.clients,
    ))  # fmt: skip
    return {"node_intake_ops_per_s": round(intake, 1), "peer_ops_per_s": round(peer, 1)}


def through_gateway(a: argparse.Namespace, gw: Gateway, key: str, token: int) -> dict[str, Any]:
    """Single writes over HTTP, then the same number through POST /v1/batch."""
    assert gw.proc is not None
    t0, p0 = time.time(), time.process_time()
    server0 = cpu_seconds(gw.proc.pid, descendants=False)
    cpu0 = cpu_seconds(gw.proc.pid)
    sent_at, accept_ms, t_accepted = asyncio.run(
        _drive.drive(gw.port, key, [body(i, token) for i in range(a.writes)], a.clients)
    )
    loadgen_cpu = (time.process_time() - p0) * 1000 / a.writes
    confirm_ms, confirmed, last_end, steps = wait_final(gw, key, sent_at)
    rate = confirmed / (last_end - t0)
    gateway_cpu = (cpu_seconds(gw.proc.pid) - cpu0) * 1000 / a.writes
    server_cpu = (cpu_seconds(gw.proc.pid, descendants=False) - server0) * 1000 / a.writes
    bodies = [body(BATCH_BASE + i, token) for i in range(a.writes)]
    b0 = time.time()
    batch_sent = asyncio.run(
        _drive.drive_batch(gw.port, key, bodies, a.batch_size, a.batch_clients)
    )
    _, batch_confirmed, batch_end, batch_steps = wait_final(gw, key, batch_sent, after=a.writes)
    return {
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
        **steps,
        "gateway_cpu_ms_per_write": round(gateway_cpu, 2),
        "gateway_server_cpu_ms_per_write": round(server_cpu, 2),
        "loadgen_cpu_ms_per_write": round(loadgen_cpu, 2),
        "batch_confirmed": batch_confirmed,
        "batch_rejected": len(batch_sent) - batch_confirmed,
        "batch_confirmed_ops_per_s": round(batch_confirmed / (batch_end - b0), 1),
        **{f"batch_{name}": value for name, value in batch_steps.items()},
    }


def targets(r: dict[str, Any]) -> dict[str, Any]:
    """The ratios to the limits of this run, and the issue's targets (met or missed)."""
    intake, peer = r["node_intake_ops_per_s"], r["peer_ops_per_s"]
    r["ratio_to_intake"] = ratio(r["confirmed_ops_per_s"], intake)
    r["ratio_to_peer"] = ratio(r["confirmed_ops_per_s"], peer)
    r["batch_ratio_to_intake"] = ratio(r["batch_confirmed_ops_per_s"], intake)
    r["ratio_to_baseline"] = ratio(r["confirmed_ops_per_s"], r["baseline_ops_per_s"])
    r["targets"] = {
        "ratio_to_intake": target(r["ratio_to_intake"], ">=", 0.5),
        "ratio_to_peer": target(r["ratio_to_peer"], ">=", 1.0),
        "batch_ratio_to_intake": target(r["batch_ratio_to_intake"], ">=", 0.8),
        "p95_202_ms": target(r["p95_202_ms"], "<", 50),
        "exactly_once": target(r["rejected"] + r["batch_rejected"], "<", 1),
    }
    return r


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--writes", type=int, default=10_000, help="shipments through the gateway")
    p.add_argument("--direct-ops", type=int, help="shipments for intake and peer (default writes)")
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--signers", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=500, help="items per POST /v1/batch")
    p.add_argument("--batch-clients", type=int, default=4, help="batch requests in flight")
    p.add_argument("--baseline", type=int, default=30)
    p.add_argument("--helpers", type=int, default=2, help="TRACENET_GATEWAY_SIGN_PROCESSES")
    p.add_argument("--sqlite-synchronous", default="FULL", choices=("FULL", "NORMAL"))
    p.add_argument("--keep-log", type=Path, help="copy the gateway's log here")
    p.add_argument(
        "--quick", action="store_true", help="small run (200 writes, 16 clients, 5 baseline)"
    )
    a = p.parse_args()
    if a.quick:
        a.writes, a.clients, a.baseline, a.batch_size = 200, 16, 5, 50
    a.direct_ops = a.direct_ops or a.writes
    return a


def main() -> int:
    a = options()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ns = NodeSettings(
            data_dir=tmp / "node", port=free_port(), block_time=1, gas_limit=2_000_000_000
        )
        with AnvilNode(ns) as node:
            from tracenet import contracts

            w3 = contracts.connect(ns.rpc_url)
            world = setup(w3, tmp, plant_signers=a.signers)
            first_block = w3.eth.block_number
            limits = direct(a, node.rpc_url, world)
            port = free_port()
            env = gateway_env(
                world, node.rpc_url, tmp / "gw.db", port,
                TRACENET_GATEWAY_TX_GAS=str(_direct.GAS),  # default log level: a line per write
                TRACENET_GATEWAY_SIGN_PROCESSES=str(a.helpers),
                TRACENET_GATEWAY_SQLITE_SYNCHRONOUS=a.sqlite_synchronous,
                # a batch of --batch-size shipments is ~350 bytes an item (the 64 KiB default
                # takes ~180; the import sends 48 KiB requests)
                TRACENET_GATEWAY_MAX_BODY_BYTES=str(max(64 * 1024, a.batch_size * 512)),
            )  # fmt: skip
            key = api_key(env)
            gw = Gateway(env, port, tmp / "gateway.log")
            gw.start()
            try:
                measured = through_gateway(a, gw, key, world.token_id)
            finally:
                gw.stop()
                if a.keep_log:
                    shutil.copy(tmp / "gateway.log", a.keep_log)
            load_during = os.getloadavg()
            blocks = block_stats(w3, first_block + 1, w3.eth.block_number)
            base_rate = baseline(w3, world, a.baseline)
    result = targets({
        "writes": a.writes, "direct_ops": a.direct_ops, "clients": a.clients,
        "signers": a.signers, "helpers": a.helpers, "batch_size": a.batch_size,
        "sqlite_synchronous": a.sqlite_synchronous, **limits, **measured,
        "baseline_ops": a.baseline, "baseline_ops_per_s": round(base_rate, 2), **blocks,
        "loadavg_1m_before": round(load_before[0], 2),
        "loadavg_1m_after_run": round(load_during[0], 2),
    })  # fmt: skip
    print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
