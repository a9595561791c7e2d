"""On the real node (anvil): the indexer SIGKILLed again and again during catch-up ends with the
same mirror as an uninterrupted run; reorgs (anvil_reorg, evm_snapshot/evm_revert) and a chain
restarted from an older saved state are rolled back and re-indexed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlmodel import SQLModel

from benchmarks._chainfill import Filler
from tests.indexer.conftest import node_settings, wait_until
from tests.indexer.test_mirror import mirror_event_counts
from tracenet import contracts
from tracenet.indexer import Follower, IndexerSettings, RpcReader, check_mirror, make_engine
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Cursor
from tracenet.node import AnvilNode

pytestmark = pytest.mark.integration


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but the block window, rows sorted: what two mirrors must agree on."""
    out = {}
    present = set(inspect(engine).get_table_names())  # the mirror's; not the gateway's gw_* tables
    with engine.connect() as conn:
        for name, t in SQLModel.metadata.tables.items():
            if name in present and name not in ("block", "api_key"):
                out[name] = sorted(tuple(str(v) for v in row) for row in conn.execute(select(t)))
    return out


def checkpoint(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            value = conn.execute(select(table(Cursor).c.block_number)).scalar()
    except Exception:  # the schema is not there yet
        return -1
    return -1 if value is None else int(value)


def assert_equals_chain(filler: Filler, engine: Engine) -> None:
    report = check_mirror(engine, filler.handle)
    assert report.ok, report.differences
    assert report.balances_checked > 0
    d = filler.handle.deployment
    logs = filler.w3.eth.get_logs(
        {
            "fromBlock": d.block_number,
            "toBlock": report.block_number,
            "address": list(d.addresses.values()),
        }
    )
    assert sum(mirror_event_counts(engine).values()) == len(logs)


def test_sigkill_during_catch_up_changes_nothing(
    anvil: AnvilNode, db_url: str, tmp_path: Path, closing: list[Any]
) -> None:
    filler = Filler(anvil.rpc_url)
    closing.append(filler)
    deployment = filler.deploy()
    filler.rpc("evm_setAutomine", [False])
    filler.prime(2, 100 * 10 * 2)
    filler.fill(60, 10, 2)
    head = filler.w3.eth.block_number
    path = tmp_path / "deployment.json"
    deployment.save(path)
    env = {**os.environ, "TRACENET_INDEXER_MAX_BLOCK_RANGE": "2"}
    argv = [
        sys.executable,
        "-m",
        "tracenet.cli",
        "indexer",
        "run",
        "--database-url",
        db_url,
        "--rpc-url",
        anvil.rpc_url,
        "--deployment",
        str(path),
    ]
    engine = make_engine(db_url)
    rng = random.Random(1)
    log = tmp_path / "indexer.log"
    kills = 0
    while checkpoint(engine) < head:
        before = checkpoint(engine)
        with log.open("ab") as err:
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            target = before + rng.randint(8, 24)
            wait_until(
                lambda t=target, p=proc: checkpoint(engine) >= min(t, head) or p.poll() is not None,
                what="the indexer to make progress",
            )
            assert proc.poll() is None, log.read_text()[-2000:]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        kills += 1
    assert kills >= 3
    reference = make_engine(f"sqlite:///{tmp_path}/reference.sqlite3")
    reader = RpcReader(anvil.rpc_url)
    closing.append(reader)
    follower = Follower(reference, reader, deployment, IndexerSettings())
    follower.init()
    follower.catch_up()
    assert follower.checkpoint()[0] == checkpoint(engine) == head
    assert dump(engine) == dump(reference)
    assert_equals_chain(filler, engine)
    engine.dispose()


def _follower(
    anvil_url: str, deployment: contracts.Deployment, engine: Engine, closing: list[Any]
) -> Follower:
    reader = RpcReader(anvil_url)
    closing.append(reader)
    follower = Follower(engine, reader, deployment, IndexerSettings(max_block_range=3))
    follower.init()
    return follower


def test_anvil_reorg_and_snapshot_revert_are_rolled_back(
    anvil: AnvilNode, engine: Engine, closing: list[Any]
) -> None:
    filler = Filler(anvil.rpc_url)
    closing.append(filler)
    follower = _follower(anvil.rpc_url, filler.deploy(), engine, closing)
    filler.prime(2, 1_000)
    follower.catch_up()
    assert_equals_chain(filler, engine)
    head = filler.w3.eth.block_number

    # anvil_reorg: the last 4 blocks replaced by 4 others carrying two different inputs.
    filler._nonces.clear()
    pairs = [[filler.input_tx(777), 0], [filler.input_tx(555), 2]]
    filler.rpc("anvil_reorg", [4, pairs])
    assert filler.w3.eth.block_number == head
    result = follower.step()
    assert result.rolled_back_to == head - 4
    follower.catch_up()
    assert_equals_chain(filler, engine)

    # evm_snapshot / evm_revert, then a longer branch with other transactions.
    snapshot = filler.rpc("evm_snapshot", [])
    filler._nonces.clear()
    filler.prime(1, 1_000)
    follower.catch_up()
    lost = filler.w3.eth.block_number
    assert filler.rpc("evm_revert", [snapshot]) is True
    filler._nonces.clear()
    filler._cached.clear()
    filler.prime(1, 2_000)
    assert filler.w3.eth.block_number >= lost
    results = [follower.step()]
    while results[-1].checkpoint < results[-1].head:
        results.append(follower.step())
    assert results[0].rolled_back_to == head
    assert_equals_chain(filler, engine)


def test_a_chain_restarted_from_an_older_state_is_rolled_back(
    tmp_path: Path, engine: Engine, closing: list[Any]
) -> None:
    settings = node_settings(tmp_path / "node", state_interval=3_600)
    node = AnvilNode(settings)
    node.start()
    try:
        filler = Filler(node.rpc_url)
        closing.append(filler)
        deployment = filler.deploy()
        filler.prime(1, 1_000)
        node.stop()  # SIGTERM: anvil saves its state
        node.start()
        filler = Filler(node.rpc_url)
        closing.append(filler)
        filler.handle = contracts.attach(filler.w3, deployment)
        filler.signers = filler.accounts[2:9]
        saved_head = filler.w3.eth.block_number
        filler.prime(1, 1_000)  # mined, indexed, then lost in the crash
        follower = _follower(node.rpc_url, deployment, engine, closing)
        follower.catch_up()
        assert follower.checkpoint()[0] > saved_head
        node.kill()  # SIGKILL: the state on disk is the one saved at the stop
        node.start()
        assert filler.w3.eth.block_number == saved_head
        filler._nonces.clear()
        filler._cached.clear()
        filler.prime(2, 3_000)
        results = [follower.step()]
        while results[-1].checkpoint < results[-1].head:
            results.append(follower.step())
        assert results[0].rolled_back_to == saved_head
        assert_equals_chain(filler, engine)
    finally:
        if node.pid is not None:
            node.stop()
