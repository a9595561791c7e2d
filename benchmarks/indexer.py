"""Indexer benchmark: catch-up throughput as ratios to a naive baseline and to the COPY ceiling
measured in the same run, head-follow and end-to-end latencies, and p95 of deep provenance and
of a period statement.

    python benchmarks/indexer.py [--events 100000] [--baseline-events 5000] [--fresh] [--quick]

Fills the embedded chain (anvil, many dev signers, batched eth_sendTransaction, blocks mined on
demand) with at least ``--events`` ledger events (rounds of inputs, 5-line shipments down a line
of seven units, a conversion and claims: see benchmarks/_chainfill.py) and caches the chain
state under .tracenet/bench-indexer/ so that reruns skip the fill. Then, on that chain:

* catch-up from scratch into SQLite and into PostgreSQL (``Follower.catch_up``, 1 000-block
  ranges): ``sqlite_events_per_s``, ``events_per_s`` (PostgreSQL);
* the naive baseline: one eth_getLogs per block and one commit per event (PostgreSQL, over the
  first ``--baseline-events`` events only: at its speed the full chain would take minutes):
  ``baseline_events_per_s``, ``ratio_to_baseline`` (target >= 50);
* the ceiling: every row the PostgreSQL catch-up wrote (all tables), read out with
  ``COPY … TO STDOUT``, then streamed into a fresh database (same schema and indexes) with COPY
  (psycopg ``cursor.copy``) in one transaction, no chain reading, decoding or row building:
  ``ceiling_events_per_s``, ``ratio_to_ceiling`` (aim >= 0.5); ``copy_rows_events_per_s``
  writes the same rows from Python tuples (``write_row``) instead;
* p95 of ``GET /v1/claims/{id}/provenance`` for the last claims of the line's last unit (depth
  >= 7: input → three shipments → conversion → three shipments → claim, over pools fed by
  thousands of inputs) and of a period statement, through the API in-process (TestClient);
  ``cold_first_provenance_ms`` is the first request on a new app (503 LineageWarming while the
  lineage book is built, which never blocks the API: ``statement_during_build_ms``),
  ``provenance_ready_ms`` the time until the newest claim's provenance answers;
* head follow: interval mining at 1 s, one input per block, time from the block appearing on the
  node (polled every 5 ms) to its row being visible in the mirror (PostgreSQL, follower thread);
* end to end (benchmarks/_e2e.py): shipments paced at ``--e2e-rate`` per second through a
  gateway on a fresh 1 s-block anvil, until each is listed by the indexer's API
  (``p95_submit_to_indexed_ms``, target < 2 000 ms).

Prints JSON (the issue's targets in ``targets``, each with ``met``), then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._chainfill import Filler
from benchmarks._measure import pct, print_result, ratio, target
from tracenet import contracts
from tracenet.indexer import Follower, IndexerSettings, RpcReader, make_engine
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.mirror._project import project
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._store import create_schema, write_batch
from tracenet.indexer.mirror._tables import Cursor
from tracenet.indexer.mirror._tables_ops import ClaimRow, EventRow, InputRecord
from tracenet.node import AnvilNode, NodeSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".tracenet" / "bench-indexer"
PG = "postgresql://postgres@127.0.0.1:5432/test"
EVENTS_PER_ROUND = 28
LAST_UNIT, LAST_PARTY = 7, 9  # the line's last unit claims; party 9 holds it


def step(name: str) -> None:
    print(f"  {name}...", file=sys.stderr, flush=True)


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


def _events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table(EventRow))).scalar_one())


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
    events = _events(engine)
    reader.close()
    engine.dispose()
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds)}


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
    return {"events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds)}


def ceiling(source_url: str) -> dict[str, Any]:
    """Every row the catch-up wrote (all tables), written again into a fresh database with COPY:
    the rows are read out first (``COPY … TO STDOUT``), then streamed in one transaction
    (``cursor.copy`` / ``write``) into the same schema and indexes: PostgreSQL's own limit on
    this machine. ``copy_rows_events_per_s`` writes the same rows from Python tuples
    (``write_row``), as a Python writer must."""
    source = source_url.replace("postgresql+psycopg", "postgresql")
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name != "api_key"]
    data: list[tuple[str, str, bytes, list[tuple[Any, ...]]]] = []
    with psycopg.connect(source) as conn, conn.cursor() as cur:
        for t in tables:
            columns = ", ".join(c.name for c in t.columns)
            with cur.copy(f'COPY "{t.name}" ({columns}) TO STDOUT') as cp:
                raw = b"".join(bytes(chunk) for chunk in cp)
            rows = cur.execute(f'SELECT {columns} FROM "{t.name}"').fetchall()
            if rows:
                data.append((t.name, columns, raw, rows))
        events = int(conn.execute('SELECT count(*) FROM "event"').fetchone()[0])  # type: ignore[index]

    def timed(write: Any) -> float:
        name, url = pg_database()
        try:
            engine = make_engine(url)
            create_schema(engine)
            engine.dispose()
            with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
                started = time.perf_counter()
                with conn.cursor() as cur:
                    for tname, columns, raw, rows in data:
                        with cur.copy(f'COPY "{tname}" ({columns}) FROM STDIN') as cp:
                            write(cp, columns, raw, rows)
                conn.commit()
                return time.perf_counter() - started
        finally:
            drop_pg(name)

    def stream(cp: Any, _columns: str, raw: bytes, _rows: Any) -> None:
        cp.write(raw)

    def from_rows(cp: Any, columns: str, _raw: bytes, rows: list[tuple[Any, ...]]) -> None:
        jsons = [i for i, c in enumerate(columns.split(", ")) if c in ("args", "addresses")]
        for row in rows:
            if jsons:
                values = list(row)
                for i in jsons:
                    values[i] = json.dumps(values[i])
                cp.write_row(values)
            else:
                cp.write_row(row)

    seconds, row_seconds = timed(stream), timed(from_rows)
    return {
        "ceiling_rows": sum(len(rows) for *_, rows in data),
        "ceiling_seconds": round(seconds, 2),
        "ceiling_events_per_s": round(events / seconds),
        "copy_rows_events_per_s": round(events / row_seconds),
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
        latencies.append((time.perf_counter() - mined) * 1000)
    filler.rpc("evm_setIntervalMining", [0])
    filler.rpc("evm_setAutomine", [True])
    stop.set()
    thread.join()
    filler.close()
    reader.close()
    engine.dispose()
    return {
        "head_follow_samples": samples,
        "head_follow_block_interval_ms": 1000,
        "p50_head_follow_ms": round(statistics.median(latencies)),
        "p95_head_follow_ms": round(pct(latencies, 95)),
    }


def queries(url: str, samples: int) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.begin() as conn:
        c = table(ClaimRow)
        ids = [
            int(i)
            for i in conn.execute(
                select(c.c.claim_id)
                .where(c.c.unit_id == LAST_UNIT)
                .order_by(c.c.claim_id.desc())
                .limit(samples)
            ).scalars()
        ]
        count = select(func.count()).select_from(table(InputRecord))
        inputs = int(conn.execute(count).scalar_one())
        newest = conn.execute(select(c.c.timestamp).where(c.c.claim_id == ids[0])).scalar_one()
    day = time.strftime("%Y-%m-%d", time.gmtime(int(newest)))
    statement = f"/v1/units/{LAST_UNIT}/statement?class_id=2&day={day}"
    with engine.begin() as conn:
        key = create_key(conn, LAST_PARTY)  # the admin is no auditor: read as the claimant
    with TestClient(create_app(engine)) as client:  # started as a server: the book builds
        measured = _timed_queries(client, key, ids, statement, samples)
    engine.dispose()
    return {"inputs_in_mirror": inputs, **measured}


def _timed_queries(
    client: TestClient, key: str, ids: list[int], statement: str, samples: int
) -> dict[str, Any]:
    headers = {"X-API-Key": key}
    url = f"/v1/claims/{ids[0]}/provenance"
    started = time.perf_counter()
    reply = client.get(url, headers=headers)
    cold_ms, cold_status = (time.perf_counter() - started) * 1000, reply.status_code
    t = time.perf_counter()  # another route while the lineage book is built
    during = client.get(statement, headers=headers)
    during_ms = (time.perf_counter() - t) * 1000
    assert during.status_code == 200, during.text
    while reply.status_code == 503:  # LineageWarming: retry as a client would
        time.sleep(0.05)
        reply = client.get(url, headers=headers)
    ready_ms = (time.perf_counter() - started) * 1000
    assert reply.status_code == 200, reply.text
    first = reply.json()
    prov, depths, origins = [], [], []
    for i in ids:
        t = time.perf_counter()
        reply = client.get(f"/v1/claims/{i}/provenance", headers=headers)
        prov.append((time.perf_counter() - t) * 1000)
        assert reply.status_code == 200, reply.text
        depths.append(reply.json()["depth"])
        origins.append(len(reply.json()["origins"]))
    stmt = []
    for _ in range(samples):
        t = time.perf_counter()
        r = client.get(statement, headers=headers)
        stmt.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    return {
        "provenance_samples": len(prov),
        "provenance_min_depth": min(depths),
        "provenance_nodes": len(first["nodes"]),
        "provenance_median_origins": statistics.median(origins),
        "cold_first_provenance_ms": round(cold_ms),
        "cold_first_provenance_status": cold_status,
        "statement_during_build_ms": round(during_ms),
        "provenance_ready_ms": round(ready_ms),
        "p50_provenance_ms": round(statistics.median(prov), 1),
        "p95_provenance_ms": round(pct(prov, 95), 1),
        "statement_samples": len(stmt),
        "p50_statement_ms": round(statistics.median(stmt), 1),
        "p95_statement_ms": round(pct(stmt, 95), 1),
    }


def targets(r: dict[str, Any]) -> dict[str, Any]:
    """The ratios to the baseline and ceiling of this run, and the issue's targets."""
    r["ratio_to_baseline"] = ratio(r["events_per_s"], r["baseline_events_per_s"])
    r["sqlite_ratio_to_baseline"] = ratio(r["sqlite_events_per_s"], r["baseline_events_per_s"])
    r["ratio_to_ceiling"] = ratio(r["events_per_s"], r["ceiling_events_per_s"])
    r["targets"] = {
        "events_per_s": target(r["events_per_s"], ">=", 15_000),
        "ratio_to_baseline": target(r["ratio_to_baseline"], ">=", 50),
        "ratio_to_ceiling": target(r["ratio_to_ceiling"], ">=", 0.5),
        "provenance_min_depth": target(r["provenance_min_depth"], ">=", 7),
        "p95_provenance_ms": target(r["p95_provenance_ms"], "<", 50),
        "p95_statement_ms": target(r["p95_statement_ms"], "<", 50),
        "p95_head_follow_ms": target(
            r["p95_head_follow_ms"], "<", r["head_follow_block_interval_ms"] + 500
        ),
        "p95_submit_to_indexed_ms": target(r["p95_submit_to_indexed_ms"], "<", 2_000),
    }
    return r


def options() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--baseline-events", type=int, default=5_000)
    p.add_argument("--samples", type=int, default=40)
    p.add_argument("--e2e-writes", type=int, default=1_000, help="shipments through the gateway")
    p.add_argument("--e2e-rate", type=float, default=100, help="shipments sent per second")
    p.add_argument("--e2e-clients", type=int, default=16)
    p.add_argument("--fresh", action="store_true", help="refill the chain")
    p.add_argument("--quick", action="store_true", help="small run (10,000 events, 200 e2e writes)")
    a = p.parse_args()
    if a.quick:
        a.events, a.baseline_events, a.e2e_writes = 10_000, 1_000, 200
    return a


def main() -> int:
    a = options()
    load_before = os.getloadavg()
    deployment_path = CACHE / f"deployment-{a.events}.json"
    if a.fresh or not deployment_path.exists():
        import shutil

        shutil.rmtree(CACHE, ignore_errors=True)
        CACHE.mkdir(parents=True)
    from benchmarks._world import free_port

    node = AnvilNode(node_settings(free_port()))
    node.start()
    r: dict[str, Any] = {}
    try:
        if deployment_path.exists():
            deployment = contracts.Deployment.load(deployment_path)
        else:
            deployment = fill(node, a.events)
            deployment.save(deployment_path)
            node.stop()  # saves the state for the next run
            node.start()
        rpc = node.rpc_url
        r["chain_head"] = int(RpcReader(rpc).head())
        step("sqlite")
        sq = catch_up(f"sqlite:///{CACHE}/bench.sqlite3", rpc, deployment)
        r |= {"sqlite_seconds": sq["seconds"], "sqlite_events_per_s": sq["events_per_s"]}
        name, url = pg_database()
        try:
            step("postgresql")
            pg = catch_up(url, rpc, deployment)
            r |= {"events": pg["events"], "seconds": pg["seconds"]}
            r["events_per_s"] = pg["events_per_s"]
            step("ceiling")
            r |= ceiling(url)
            step("queries")
            r |= queries(url, a.samples)
            base_name, base_url = pg_database()
            try:
                step("baseline")
                base = baseline(base_url, rpc, deployment, a.baseline_events)
                r |= {"baseline_events": base["events"]}
                r["baseline_events_per_s"] = base["events_per_s"]
            finally:
                drop_pg(base_name)
            step("head follow")
            r |= head_follow(url, rpc, deployment, min(a.samples, 20))
        finally:
            drop_pg(name)
    finally:
        node.kill()  # never save the head-follow blocks into the cached state
    step("end to end")
    from benchmarks._e2e import submit_to_indexed

    e2e_names: list[str] = []

    def e2e_engine() -> Engine:
        e2e_name, e2e_url = pg_database()
        e2e_names.append(e2e_name)
        return make_engine(e2e_url)

    try:
        r |= submit_to_indexed(e2e_engine, a.e2e_writes, a.e2e_rate, a.e2e_clients)
    finally:
        for n in e2e_names:
            drop_pg(n)
    r["loadavg_1m_before"] = round(load_before[0], 2)
    r["loadavg_1m_after_run"] = round(os.getloadavg()[0], 2)
    result = targets(r)
    print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
