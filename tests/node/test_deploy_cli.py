"""``tracenet deploy`` on any block time, twice in a row, and its one-line failures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.test_anvil import free_port
from tracenet import contracts
from tracenet.cli import main
from tracenet.node import AnvilNode, NodeSettings, connect
from tracenet.wallet import Keystore

DEMO = Path(__file__).resolve().parents[2] / "node" / "demo" / "consortium.yaml"

pytestmark = pytest.mark.integration


@pytest.fixture
def wallet_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRACENET_WALLET_PASSPHRASE", "readme-passphrase")
    monkeypatch.setenv("TRACENET_WALLET_SCRYPT_N", "16")  # cheap keys: tests only
    return tmp_path / "wallet"


def _node(tmp_path: Path, block_time: int) -> AnvilNode:
    return AnvilNode(
        NodeSettings(data_dir=tmp_path / "node", port=free_port(), block_time=block_time)
    )


def _argv(node: AnvilNode, wallet: Path, out: Path, *extra: str) -> list[str]:
    return [
        "deploy",
        "--config",
        str(DEMO),
        "--rpc-url",
        node.rpc_url,
        "--wallet-dir",
        str(wallet),
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(params=[0, 1, 2], ids=["automine", "1s-blocks", "2s-blocks"])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnvilNode]:
    with _node(tmp_path, request.param) as node:
        yield node


def test_deploy_waits_for_every_receipt_on_any_block_time_and_runs_again(
    chain: AnvilNode, wallet_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert main(_argv(chain, wallet_env, first, "--create-keys")) == 0
    err = capsys.readouterr().err
    assert "created key 'recycler-plant' (party recycler, unit recycler-plant)" in err
    assert main(_argv(chain, wallet_env, second)) == 0  # again, no clean-up, keys reused
    assert "created key" not in capsys.readouterr().err
    w3 = connect(chain.rpc_url)
    for path in (first, second):
        deployment = contracts.Deployment.load(path)
        handle = contracts.attach(w3, deployment)  # code is there: every deployment was mined
        assert deployment.registry["parties"]["consortium"] == 1
        assert deployment.registry["processes"] == {"flake-to-resin": 1}
        assert handle.catalog.functions.factor(1, 0).call()[0] == 9_000
    addresses = [contracts.Deployment.load(p).addresses for p in (first, second)]
    assert addresses[0]["Ledger"] != addresses[1]["Ledger"]
    labels = {info.label for info in Keystore(wallet_env).list()}
    assert {"admin", "certifier", "auditor", "brand-dc", "resin-gent"} <= labels


def test_missing_keys_are_named_with_the_way_to_create_them(
    tmp_path: Path, wallet_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = _node(tmp_path, 1)  # never started: the key check comes first
    assert main(_argv(node, wallet_env, tmp_path / "d.json")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "admin, certifier, auditor, recycler-plant" in err
    assert (
        "--create-keys" in err and "tracenet wallet create --label admin --party consortium" in err
    )
    assert not (tmp_path / "d.json").exists()


def test_no_node_is_one_line_and_nothing_is_written(
    tmp_path: Path, wallet_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = _node(tmp_path, 1)
    assert main(_argv(node, wallet_env, tmp_path / "d.json", "--create-keys")) == 1
    err = capsys.readouterr().err.strip()
    expected = f"no node answers at {node.rpc_url}; start one with `tracenet node up`"
    assert err == f"tracenet deploy: error: {expected}"
    assert not (tmp_path / "d.json").exists()


def test_a_failure_in_a_subprocess_has_no_traceback(tmp_path: Path, wallet_env: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "admin: {name: X, signer: admin}\nparties: [{key: consortium, name: Y, roles: [member]}]\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracenet.cli",
            "deploy",
            "--config",
            str(bad),
            "--wallet-dir",
            str(wallet_env),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "key 'consortium' is the admin's (admin.key)" in done.stderr


def test_keys_are_made_for_labels_only_once_and_never_for_addresses(tmp_path: Path) -> None:
    from tracenet.node._config import ConsortiumConfig
    from tracenet.node._deploy_keys import create_missing_keys, missing_keys, named_signers

    address = "0x627306090abaB3A6e1400e9345bC60c78a8BEf57"
    config = ConsortiumConfig.model_validate(
        {
            "admin": {"name": "Consortium", "signer": "Admin"},
            "parties": [
                {"key": "p", "name": "P", "roles": ["member"], "signers": ["admin", address],
                 "units": [{"key": "u", "name": "U", "location": "L", "signers": ["site"]}]},
            ],
        }
    )  # fmt: skip
    named = named_signers(config)
    assert [(n.label, n.party, n.unit) for n in named] == [
        ("Admin", "consortium", None),
        ("site", "p", "u"),
    ]
    keys = Keystore(tmp_path / "wallet", scrypt_n=2**4)
    keys.create(label="site", party="p", unit="u", passphrase="pw")
    assert [n.label for n in missing_keys(config, keys)] == ["Admin"]
    from pydantic import SecretStr

    assert [n.label for n in create_missing_keys(config, keys, SecretStr("pw"))] == ["Admin"]
    assert missing_keys(config, keys) == []
    assert {info.label for info in keys.list()} == {"Admin", "site"}
