"""Indexer benchmark: catch-up throughput into SQLite and PostgreSQL against a naive baseline,
head-follow latency, and p95 latencies of a deep provenance query and of a period statement.

    python benchmarks/indexer.py [--events 100000] [--baseline-events 5000] [--fresh]

Fills the embedded chain (anvil, many dev signers, batched eth_sendTransaction, blocks mined on
demand) with at least ``--events`` ledger events (rounds of inputs, 5-line shipments down a line
of seven units, a conversion and claims: see tests/indexer/chainfill.py) and caches the chain
state under .tracenet/bench-indexer/ so that reruns skip the fill. Then, on that chain:

* catch-up from scratch into SQLite and into PostgreSQL (``Follower.catch_up``, 1 000-block ranges);
* the naive baseline: one eth_getLogs per block and one commit per event (PostgreSQL, over the
  first ``--baseline-events`` events only: at its speed the full chain would take minutes);
* head follow: interval mining at 1 s, one input per block, time from the block appearing on the
  node (polled every 5 ms) to its row being visible in the mirror (PostgreSQL, follower thread);
* p95 of ``GET /v1/shipments/{id}/provenance`` at depth ≥ 6 and of a period statement, through
  the API in-process (TestClient), warm.

Prints JSON, then a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contracts
from benchmarks._chainfill import Filler
from indexer import Follower, IndexerSettings, RpcReader, make_engine
from indexer.api._api import create_app
from indexer.api._keys import create_key
from indexer.mirror._project import project
from indexer.mirror._registry import table
from indexer.mirror._store import write_batch
from indexer.mirror._tables import Cursor
from indexer.mirror._tables_ops import EventRow, InputRecord, Shipment
from node import AnvilNode, NodeSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".tracenet" / "bench-indexer"
PG = "postgresql://postgres@127.0.0.1:5432/test"
EVENTS_PER_ROUND = 28


def step(name: str) -> None:
    print(f"  {name}...", file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def node_settings(port: int) -> NodeSettings:
    return NodeSettings(
        data_dir=CACHE / "node",
        port=port,
        block_time=0,
        accounts=12,
        gas_limit=2_000_000_000,
        state_interval=3_600,
    )


def fill(node: AnvilNode, events: int) -> contracts.Deployment:
    filler = Filler(node.rpc_url)
    deployment = filler.deploy()
    filler.rpc("evm_setAutomine", [False])
    filler.prime(2, 100 * 100 * 10)
    rounds, done, started = -(-events // EVENTS_PER_ROUND), 0, time.monotonic()
    while True:  # a few transactions of a crowded block may revert: top up until enough events
        for start in range(0, rounds, 200):
            filler.fill(min(200, rounds - start), 100, 10)
            done += min(200, rounds - start)
            print(f"  filled {done} rounds", file=sys.stderr, flush=True)
        count = len(
            filler.rpc(
                "eth_getLogs",
                [
                    {
                        "fromBlock": "0x0",
                        "toBlock": "latest",
                        "address": list(deployment.addresses.values()),
                    }
                ],
            )
        )
        print(f"  {count} events", file=sys.stderr, flush=True)
        if count >= events:
            break
        rounds = -(-(events - count) // EVENTS_PER_ROUND) + 20
    print(f"  fill took {time.monotonic() - started:.1f}s", file=sys.stderr)
    filler.rpc("evm_setAutomine", [True])
    filler.close()
    return deployment


def pg_database() -> tuple[str, str]:
    name = f"tracenet_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_pg(name: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def catch_up(url: str, rpc: str, deployment: contracts.Deployment) -> dict[str, Any]:
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    reader = RpcReader(rpc, timeout=300)
    follower = Follower(engine, reader, deployment, IndexerSettings(max_block_range=1000))
    started = time.perf_counter()
    follower.init()
    follower.catch_up()
    seconds = time.perf_counter() - started
    follower.close()
    with engine.connect() as conn:
        events = int(conn.execute(select(func.count()).select_from(table(EventRow))).scalar_one())
    reader.close()
    engine.dispose()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "eventsPerSecond": round(events / seconds),
    }


def baseline(url: str, rpc: str, deployment: contracts.Deployment, limit: int) -> dict[str, Any]:
    """One eth_getLogs per block, one SQL transaction (commit) per event."""
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    reader = RpcReader(rpc, timeout=300)
    follower = Follower(engine, reader, deployment, IndexerSettings(max_block_range=1))
    follower.init()
    decoder = follower.decoder
    events = 0
    block, previous = follower.checkpoint()
    head = reader.head()
    started = time.perf_counter()
    while events < limit and block < head:
        block += 1
        logs = reader.logs(block, block, follower.addresses)
        header = reader.headers([block])[block]
        for log in logs:
            event = decoder.decode(log, log.timestamp or header.timestamp)
            if event is None:
                continue
            with engine.begin() as conn:
                conn.execute(
                    table(Cursor).update().values(block_number=block - 1, block_hash=previous)
                )
                write_batch(
                    conn,
                    project(deployment.chain_id, [event]),
                    previous=(block - 1, previous),
                    checkpoint=header,
                    window=[],
                    keep_from=block,
                )
                conn.execute(
                    table(Cursor).update().values(block_number=block - 1, block_hash=previous)
                )
            events += 1
        with engine.begin() as conn:
            conn.execute(table(Cursor).update().values(block_number=block, block_hash=header.hash))
        previous = header.hash
    seconds = time.perf_counter() - started
    reader.close()
    engine.dispose()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "eventsPerSecond": round(events / seconds),
    }


def head_follow(
    url: str, rpc: str, deployment: contracts.Deployment, samples: int
) -> dict[str, Any]:
    engine = make_engine(url)
    reader = RpcReader(rpc)
    follower = Follower(engine, reader, deployment, IndexerSettings(poll_interval=0.05))
    follower.init()
    follower.catch_up()
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,), daemon=True)
    thread.start()
    filler = Filler(rpc)
    filler.handle = contracts.attach(filler.w3, deployment)
    filler.signers = filler.accounts[2:9]
    filler.rpc("evm_setAutomine", [False])
    filler.rpc("evm_setIntervalMining", [1])
    latencies = []
    ir = table(InputRecord)
    for _ in range(samples):
        with engine.connect() as conn:
            known = int(conn.execute(select(func.count()).select_from(ir)).scalar_one())
        tx = filler.input_tx(1_000)
        filler.send_batch([tx])
        start_block = reader.head()
        while reader.head() == start_block:
            time.sleep(0.005)
        mined = time.perf_counter()
        while True:
            with engine.connect() as conn:
                if int(conn.execute(select(func.count()).select_from(ir)).scalar_one()) > known:
                    break
            time.sleep(0.005)
        latencies.append(time.perf_counter() - mined)
    filler.rpc("evm_setIntervalMining", [0])
    filler.rpc("evm_setAutomine", [True])
    stop.set()
    thread.join()
    filler.close()
    reader.close()
    engine.dispose()
    return {
        "samples": samples,
        "blockIntervalMs": 1000,
        "p50Ms": round(statistics.median(latencies) * 1000),
        "p95Ms": round(p95(latencies) * 1000),
    }


def queries(url: str, samples: int) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.begin() as conn:
        key = create_key(conn, 1)  # the admin party
        s = table(Shipment)
        ids = [
            int(i)
            for i in conn.execute(
                select(s.c.shipment_id)
                .where(s.c.from_unit_id == 6, s.c.to_unit_id == 7)
                .order_by(s.c.shipment_id.desc())
                .limit(samples)
            ).scalars()
        ]
    # The admin is no auditor: read as the line's last unit's party (party 9 holds unit 7).
    with engine.begin() as conn:
        key = create_key(conn, 9)
    client = TestClient(create_app(engine))
    headers = {"X-API-Key": key}
    cold = time.perf_counter()
    first = client.get(f"/v1/shipments/{ids[0]}/provenance", headers=headers).json()
    cold_s = time.perf_counter() - cold
    prov, depths = [], []
    for i in ids:
        t = time.perf_counter()
        body = client.get(f"/v1/shipments/{i}/provenance", headers=headers).json()
        prov.append(time.perf_counter() - t)
        depths.append(body["depth"])
    stmt = []
    period = first["nodes"][-1]["timestamp"]
    day = time.strftime("%Y-%m-%d", time.gmtime(period))
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(f"/v1/units/7/statement?class_id=2&day={day}", headers=headers)
        stmt.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    engine.dispose()
    return {
        "provenance": {
            "samples": len(prov),
            "minDepth": min(depths),
            "nodes": len(first["nodes"]),
            "p50Ms": round(statistics.median(prov) * 1000, 1),
            "p95Ms": round(p95(prov) * 1000, 1),
            "coldBuildMs": round(cold_s * 1000),
        },
        "statement": {
            "samples": len(stmt),
            "p50Ms": round(statistics.median(stmt) * 1000, 1),
            "p95Ms": round(p95(stmt) * 1000, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline-events", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--fresh", action="store_true", help="refill the chain")
    args = parser.parse_args()
    deployment_path = CACHE / f"deployment-{args.events}.json"
    if args.fresh or not deployment_path.exists():
        import shutil

        shutil.rmtree(CACHE, ignore_errors=True)
        CACHE.mkdir(parents=True)
    from benchmarks._world import free_port

    node = AnvilNode(node_settings(free_port()))
    node.start()
    try:
        if deployment_path.exists():
            deployment = contracts.Deployment.load(deployment_path)
        else:
            deployment = fill(node, args.events)
            deployment.save(deployment_path)
            node.stop()  # saves the state for the next run
            node.start()
        rpc = node.rpc_url
        result: dict[str, Any] = {"chainHead": int(RpcReader(rpc).head())}
        step("sqlite")
        result["sqlite"] = catch_up(f"sqlite:///{CACHE}/bench.sqlite3", rpc, deployment)
        name, url = pg_database()
        try:
            step("postgresql")
            result["postgresql"] = catch_up(url, rpc, deployment)
            step("queries")
            result["queries"] = queries(url, args.samples)
            base_name, base_url = pg_database()
            try:
                step("baseline")
                result["baseline"] = baseline(base_url, rpc, deployment, args.baseline_events)
            finally:
                drop_pg(base_name)
            step("head follow")
            result["headFollow"] = head_follow(url, rpc, deployment, min(args.samples, 20))
        finally:
            drop_pg(name)
    finally:
        node.kill()  # never save the head-follow blocks into the cached state
    base = result["baseline"]["eventsPerSecond"]
    for backend in ("sqlite", "postgresql"):
        result[backend]["ratioToBaseline"] = round(result[backend]["eventsPerSecond"] / base, 1)
    print(json.dumps(result, indent=2))
    sq, pg, q = result["sqlite"], result["postgresql"], result["queries"]
    rows = [
        ("catch-up SQLite", f"{sq['eventsPerSecond']:,} events/s", f"x{sq['ratioToBaseline']}"),
        (
            "catch-up PostgreSQL",
            f"{pg['eventsPerSecond']:,} events/s",
            f"x{pg['ratioToBaseline']} (target >= 15,000/s)",
        ),
        (
            "baseline (getLogs/block, commit/event)",
            f"{base:,} events/s",
            f"first {result['baseline']['events']:,} events",
        ),
        ("head follow p95", f"{result['headFollow']['p95Ms']} ms", "target < 1500 ms (1 s blocks)"),
        (
            "provenance p95",
            f"{q['provenance']['p95Ms']} ms",
            f"depth >= {q['provenance']['minDepth']}, target < 50 ms",
        ),
        ("statement p95", f"{q['statement']['p95Ms']} ms", "target < 50 ms"),
    ]
    for name_, value, note in rows:
        print(f"{name_:<40} {value:>20}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
