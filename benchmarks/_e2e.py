"""End to end under load: a shipment request to the gateway → the shipment visible in the
indexer's HTTP API (``p95_submit_to_indexed_ms``).

A fresh anvil with 1 s blocks and the gateway benchmark's world (benchmarks/_world.py), one
``tracenet gateway serve`` subprocess, and the indexer in this process: a follower thread
mirroring into PostgreSQL and the read API (TestClient) polled by a watcher thread every 20 ms
(``GET /v1/shipments``, newest first). Writes are paced at ``rate`` per second over keep-alive
connections (the minimal client of benchmarks/_drive.py); each write's latency runs from the
moment its request is sent to the first poll whose answer lists its document hash.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from benchmarks._drive import _read_response, _request
from benchmarks._measure import pct
from benchmarks._world import (
    P_RECYCLER,
    Gateway,
    api_key,
    body,
    free_port,
    gateway_env,
    setup,
    wait_for,
)
from tracenet import contracts
from tracenet.indexer import Follower, IndexerSettings, RpcReader
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.node import AnvilNode, NodeSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BLOCK_S = 1
POLL_S = 0.02


async def _paced(
    port: int, key: str, bodies: list[dict[str, Any]], rate: float, clients: int
) -> dict[str, float]:
    """POST body ``i`` at ``start + i / rate`` (over ``clients`` connections); doc → time sent."""
    sent: dict[str, float] = {}
    cursor = iter(range(len(bodies)))
    start = time.time() + 0.2

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in cursor:
                b = bodies[i]
                request = _request(
                    port, key, "/v1/shipments", json.dumps(b).encode(), f"e{b['document_hash']}"
                )
                await asyncio.sleep(max(0.0, start + i / rate - time.time()))
                sent[b["document_hash"]] = time.time()
                writer.write(request)
                status, answer = await _read_response(reader)
                assert status == 202, answer[:500]
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(clients)))
    return sent


def _watch(client: TestClient, key: str, seen: dict[str, float], stop: threading.Event) -> None:
    headers = {"X-API-Key": key}
    while not stop.is_set():
        params = {"direction": "out", "limit": 500}
        reply = client.get("/v1/shipments", params=params, headers=headers)
        now = time.time()
        assert reply.status_code == 200, reply.text
        for s in reply.json()["shipments"]:
            seen.setdefault(s["documentHash"], now)
        stop.wait(POLL_S)


def submit_to_indexed(engine_for: Any, writes: int, rate: float, clients: int) -> dict[str, Any]:
    """``engine_for()`` gives a fresh mirror database's engine (and is called once)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ns = NodeSettings(
            data_dir=tmp / "node", port=free_port(), block_time=BLOCK_S, gas_limit=2_000_000_000
        )
        with AnvilNode(ns) as node:
            w3 = contracts.connect(ns.rpc_url)
            world = setup(w3, tmp, plant_signers=4)
            deployment = contracts.Deployment.load(world.deployment_path)
            port = free_port()
            env = gateway_env(world, node.rpc_url, tmp / "gw.db", port)
            key = api_key(env)
            gw = Gateway(env, port, tmp / "gateway.log")
            engine: Engine = engine_for()
            reader = RpcReader(node.rpc_url)
            follower = Follower(engine, reader, deployment, IndexerSettings(poll_interval=0.05))
            follower.init()
            follower.catch_up()
            with engine.begin() as conn:
                read_key = create_key(conn, P_RECYCLER)
            client = TestClient(create_app(engine))
            client.__enter__()  # one event loop for every request, as a server has
            stop = threading.Event()
            seen: dict[str, float] = {}
            threads = [
                threading.Thread(target=follower.run, args=(stop,), daemon=True),
                threading.Thread(target=_watch, args=(client, read_key, seen, stop), daemon=True),
            ]
            gw.start()
            try:
                for t in threads:
                    t.start()
                bodies = [body(i, world.token_id) for i in range(writes)]
                sent = asyncio.run(_paced(port, key, bodies, rate, clients))
                wait_for(
                    lambda: all(d in seen for d in sent),
                    timeout=60 + writes / rate,
                    what="every shipment in the indexer's API",
                )
            finally:
                stop.set()
                for t in threads:
                    if t.is_alive():
                        t.join()
                gw.stop()
                client.__exit__(None, None, None)
                follower.close()
                reader.close()
                engine.dispose()
    latencies = [(seen[d] - t0) * 1000 for d, t0 in sent.items()]
    return {
        "e2e_writes": writes,
        "e2e_rate_per_s": rate,
        "e2e_clients": clients,
        "e2e_block_interval_ms": BLOCK_S * 1000,
        "p50_submit_to_indexed_ms": round(statistics.median(latencies)),
        "p95_submit_to_indexed_ms": round(pct(latencies, 95)),
        "max_submit_to_indexed_ms": round(max(latencies)),
    }
