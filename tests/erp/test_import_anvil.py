"""``tracenet import`` on the real node: a ``tracenet gateway serve`` subprocess on anvil.

A 1,000-row file is recorded, the same file again records nothing; an import SIGKILLed midway
and re-run ends with every row recorded exactly once (counted on the chain)."""

from __future__ import annotations

import csv
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tests.erp.conftest import start, tracenet
from tests.gateway.anvil_setup import AnvilWorld
from tests.gateway.test_reliability import Gateway, chain, gateway  # noqa: F401 (fixtures)
from tracenet import contracts
from tracenet.erp import parse_hash
from tracenet.node import AnvilNode

pytestmark = pytest.mark.integration

HEADER = "Werk,product_group,Menge,Lieferschein,date\n"
MAPPING = "unit: Werk\nquantity: Menge\ndocument: Lieferschein\n"


def productions_file(path: Path, n: int, tag: str) -> Path:
    rows = [f"plant,pet-flakes,{i + 1}.5 kg,LS-{tag}-{i},2031-01-0{1 + i % 9}\n"
            for i in range(n)]  # fmt: skip
    path.write_text(HEADER + "".join(rows))
    return path


def recorded(w3: Web3, world: AnvilWorld) -> Counter[tuple[int, bytes]]:
    """(quantity, document hash) of every ProductionRecorded event on the chain."""
    handle = contracts.attach(w3, contracts.Deployment.load(world.deployment_path))
    logs = handle.ledger.events.ProductionRecorded().get_logs(from_block=0)
    return Counter((e["args"]["quantity"], bytes(e["args"]["documentHash"])) for e in logs)


def expected(n: int, tag: str) -> Counter[tuple[int, bytes]]:
    return Counter(
        (1_000 * (i + 1) + 500, bytes.fromhex(parse_hash(f"LS-{tag}-{i}", "d")[2:]))
        for i in range(n)
    )


def requests(tmp_path: Path) -> int:
    with sqlite3.connect(f"file:{tmp_path / 'gw.db'}?mode=ro", uri=True) as db:
        return int(db.execute("select count(*) from gw_request").fetchone()[0])


def result_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def import_env(gw: Gateway, key: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    key_file = tmp_path / "import.key"
    key_file.write_text(key)
    key_file.chmod(0o600)
    env = {k: v for k, v in gw.env.items() if not k.startswith("TRACENET_GATEWAY_")}
    return {
        **env,
        "TRACENET_IMPORT_GATEWAY_URL": gw.url,
        "TRACENET_IMPORT_API_KEY_FILE": str(key_file),
        "TRACENET_IMPORT_POLL_INTERVAL": "0.1",
        **extra,
    }


def test_a_thousand_rows_are_recorded_then_the_same_file_records_nothing(
    chain: tuple[AnvilNode, Web3, AnvilWorld],  # noqa: F811
    gateway: tuple[Gateway, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    _, w3, world = chain
    env = import_env(*gateway, tmp_path)
    data = productions_file(tmp_path / "prod.csv", 1_000, "a")
    (tmp_path / "map.yaml").write_text(MAPPING)
    args = ("import", "productions", str(data), "--mapping", str(tmp_path / "map.yaml"))
    first = tracenet(*args, env=env)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "1000 confirmed, 0 already done" in first.stdout, first.stdout
    assert recorded(w3, world) == expected(1_000, "a")
    rows = result_rows(tmp_path / "prod.csv.result.csv")
    assert [r["row"] for r in rows] == [str(n) for n in range(2, 1_002)]
    assert {r["outcome"] for r in rows} == {"confirmed"}
    assert all(r["transaction"].startswith("0x") and int(r["block"]) > 0 for r in rows)
    assert rows[0]["Lieferschein"] == "LS-a-0" and rows[0]["request_id"]
    assert requests(tmp_path) == 1_000

    again = tracenet(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "0 confirmed, 1000 already done (skipped)" in again.stdout, again.stdout
    assert requests(tmp_path) == 1_000
    assert recorded(w3, world) == expected(1_000, "a")
    rerun = result_rows(tmp_path / "prod.csv.result.csv")
    assert {r["outcome"] for r in rerun} == {"already-done"}
    assert [r["request_id"] for r in rerun] == [r["request_id"] for r in rows]
    print(first.stdout)


def test_an_import_killed_midway_and_rerun_records_every_row_once(
    chain: tuple[AnvilNode, Web3, AnvilWorld],  # noqa: F811
    gateway: tuple[Gateway, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    _, w3, world = chain
    n = 600
    # small batches: the kill lands between two of them, or inside one
    env = import_env(*gateway, tmp_path, TRACENET_IMPORT_BATCH_ITEMS="20")
    data = productions_file(tmp_path / "prod.csv", n, "k")
    (tmp_path / "map.yaml").write_text(MAPPING)
    args = ("import", "productions", str(data), "--mapping", str(tmp_path / "map.yaml"))
    victim = start(*args, env=env)
    deadline = time.monotonic() + 120
    while requests(tmp_path) < n // 4:
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline, "the import accepted nothing"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    partial = requests(tmp_path)
    assert n // 4 <= partial < n, partial

    rerun = tracenet(*args, env=env)
    assert rerun.returncode == 0, rerun.stderr + rerun.stdout
    assert requests(tmp_path) == n
    assert recorded(w3, world) == expected(n, "k")
    outcomes = Counter(r["outcome"] for r in result_rows(tmp_path / "prod.csv.result.csv"))
    assert outcomes["confirmed"] + outcomes["already-done"] == n
    assert outcomes["already-done"] >= partial - 20  # all but a batch cut by the kill
