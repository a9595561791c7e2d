"""The embedded dev chain: lifecycle, free gas, persistence across restarts and crashes, errors.

Tests marked ``integration`` run the real anvil from ``node_modules``; the rest use stand-ins.
Nothing sleeps to synchronise: ``wait_until`` polls a condition against a deadline.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tests._support import free_port, wait_until
from tracenet import node
from tracenet.cli import main
from tracenet.node import (
    DEV_CHAIN_ID,
    AnvilNode,
    NodeAlreadyRunningError,
    NodeBinaryNotFoundError,
    NodeError,
    NodeNotRunningError,
    NodePortInUseError,
    NodeSettings,
    NodeStartError,
    NodeStateCorruptError,
    rpc_call,
)

# anvil's first dev account (public "test test … junk" mnemonic).
FUNDED_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
FUNDED = Account.from_key(FUNDED_KEY)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRACENET_NODE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[Callable[..., AnvilNode]]:
    """Build nodes on a free port in a temporary data dir; any left running are killed."""
    made: list[AnvilNode] = []
    port = free_port()

    def make(**overrides: Any) -> AnvilNode:
        fields: dict[str, Any] = {"data_dir": tmp_path / "node", "port": port, "block_time": 0}
        made.append(AnvilNode(NodeSettings(**(fields | overrides))))
        return made[-1]

    yield make
    for n in made:
        if n.pid is not None:
            n.kill()


def balance(chain: AnvilNode, address: str) -> int:
    return int(rpc_call(chain.rpc_url, "eth_getBalance", [address, "latest"]), 16)


def block_number(chain: AnvilNode) -> int:
    return int(rpc_call(chain.rpc_url, "eth_blockNumber"), 16)


def send(
    chain: AnvilNode, to: str, value: int, sender: Any = FUNDED, **fees: int
) -> dict[str, Any]:
    """Sign with ``sender`` (the funded dev key), send, and wait for the receipt."""
    url = chain.rpc_url
    nonce = int(rpc_call(url, "eth_getTransactionCount", [sender.address, "pending"]), 16)
    tx = {"to": to, "value": value, "gas": 21_000, "nonce": nonce, "chainId": DEV_CHAIN_ID}
    signed = sender.sign_transaction(tx | (fees or {"gasPrice": 0}))
    tx_hash = rpc_call(url, "eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
    receipt: dict[str, Any] = wait_until(
        lambda: rpc_call(url, "eth_getTransactionReceipt", [tx_hash]),
        what=f"receipt of {tx_hash}",
    )
    return receipt


def dumped_block(chain: AnvilNode) -> int:
    """The block number recorded in state.json, or -1 while absent or half-written."""
    try:
        return int(json.loads(chain.state_path.read_text())["best_block_number"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


# -- lifecycle --------------------------------------------------------------------------------


@pytest.mark.integration
def test_start_answers_with_the_configured_chain_id(make_node: Callable[..., AnvilNode]) -> None:
    chain = make_node()
    with chain:
        status = chain.status()
        assert status.running and status.pid == chain.pid
        assert status.chain_id == DEV_CHAIN_ID == int(rpc_call(chain.rpc_url, "eth_chainId"), 16)
        assert status.rpc_url == chain.rpc_url == chain.settings.rpc_url
        assert chain.pid_path.read_text().strip() == str(status.pid)
        assert stat.S_IMODE(chain.data_dir.stat().st_mode) == 0o700
    assert not chain.status().running
    assert not chain.pid_path.exists()
    assert "Listening on" in chain.log_path.read_text()


@pytest.mark.integration
def test_zero_gas_price_transactions_are_mined_and_cost_nothing(
    make_node: Callable[..., AnvilNode],
) -> None:
    with make_node() as chain:
        assert int(rpc_call(chain.rpc_url, "eth_gasPrice"), 16) == 0
        to = Account.create().address
        before = balance(chain, FUNDED.address)
        legacy = send(chain, to, 5)
        dynamic = send(chain, to, 7, maxFeePerGas=0, maxPriorityFeePerGas=0)
        for receipt in (legacy, dynamic):
            assert int(receipt["status"], 16) == 1
            assert int(receipt["effectiveGasPrice"], 16) == 0
        assert balance(chain, to) == 12
        assert balance(chain, FUNDED.address) == before - 12
        unfunded = Account.create()  # consortium keys hold no ether, and need none
        assert int(send(chain, to, 0, sender=unfunded)["status"], 16) == 1


@pytest.mark.integration
def test_interval_mining_produces_blocks_without_transactions(
    make_node: Callable[..., AnvilNode],
) -> None:
    with make_node(block_time=1) as chain:
        wait_until(lambda: block_number(chain) >= 2, what="two mined blocks")


@pytest.mark.integration
def test_stop_then_start_keeps_balances_and_block_number(
    make_node: Callable[..., AnvilNode],
) -> None:
    to = Account.create().address
    with make_node() as chain:
        send(chain, to, 42)
        height, funded = block_number(chain), balance(chain, FUNDED.address)
    with make_node() as chain:
        assert block_number(chain) == height
        assert balance(chain, to) == 42
        assert balance(chain, FUNDED.address) == funded
        send(chain, to, 1)  # the chain goes on from where it stopped
        assert block_number(chain) == height + 1


@pytest.mark.integration
def test_kill_then_start_restores_the_last_dumped_state(
    make_node: Callable[..., AnvilNode],
) -> None:
    to = Account.create().address
    chain = make_node(state_interval=1)
    chain.start()
    receipt = send(chain, to, 42)
    mined_in = int(receipt["blockNumber"], 16)
    wait_until(lambda: dumped_block(chain) >= mined_in, what="a state dump holding the transfer")
    chain.kill()
    assert chain.pid is None
    with make_node() as restarted:
        assert balance(restarted, to) == 42
        assert block_number(restarted) >= mined_in


@pytest.mark.integration
def test_kill_loses_what_was_mined_after_the_last_dump(
    make_node: Callable[..., AnvilNode],
) -> None:
    to = Account.create().address
    with make_node(state_interval=3600) as chain:  # only SIGTERM dumps during this test
        send(chain, to, 1)
        kept_height = block_number(chain)
    chain = make_node(state_interval=3600)
    chain.start()
    send(chain, to, 1000)
    chain.kill()
    with make_node() as restarted:
        assert balance(restarted, to) == 1
        assert block_number(restarted) == kept_height


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_port_in_use_is_reported_before_launch(make_node: Callable[..., AnvilNode]) -> None:
    chain = make_node()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", chain.settings.port))
        taken.listen()
        with pytest.raises(NodePortInUseError) as caught:
            chain.start()
    assert caught.value.field == "port" and caught.value.port == chain.settings.port
    assert str(chain.settings.port) in str(caught.value)
    assert chain.pid is None and not chain.log_path.exists()


@pytest.mark.integration
def test_second_start_for_the_same_data_dir_is_rejected(
    make_node: Callable[..., AnvilNode],
) -> None:
    with make_node() as chain:
        with pytest.raises(NodeAlreadyRunningError) as caught:
            make_node(port=free_port()).start()
        assert caught.value.pid == chain.pid
        assert chain.status().running


def test_missing_binary_names_the_path_and_the_fix(
    make_node: Callable[..., AnvilNode], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "anvil"
    with pytest.raises(NodeBinaryNotFoundError) as caught:
        make_node(anvil_bin=missing).start()
    assert caught.value.path == missing and caught.value.field == "anvil_bin"
    assert str(missing) in str(caught.value) and "make setup" in str(caught.value)


def _fake_anvil(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "fake-anvil"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o700)
    return path


def test_early_exit_quotes_the_last_log_lines(
    make_node: Callable[..., AnvilNode], tmp_path: Path
) -> None:
    fake = _fake_anvil(tmp_path, "echo starting\necho 'error: unexpected argument' >&2\nexit 2\n")
    chain = make_node(anvil_bin=fake)
    with pytest.raises(NodeStartError) as caught:
        chain.start()
    assert caught.value.returncode == 2
    assert caught.value.log_tail == ("starting", "error: unexpected argument")
    assert "error: unexpected argument" in str(caught.value)
    assert chain.pid is None and not chain.pid_path.exists()


def test_truncated_state_file_is_refused(
    make_node: Callable[..., AnvilNode], tmp_path: Path
) -> None:
    chain = make_node(anvil_bin=_fake_anvil(tmp_path, "exit 1\n"))
    chain.data_dir.mkdir(parents=True)
    chain.state_path.write_text('{"block": {"number": "0x1')
    with pytest.raises(NodeStateCorruptError) as caught:
        chain.start()
    assert caught.value.path == chain.state_path and caught.value.backup is None
    assert not chain.log_path.exists()  # anvil was never launched


def test_stop_without_a_running_node(make_node: Callable[..., AnvilNode]) -> None:
    chain = make_node()
    with pytest.raises(NodeNotRunningError):
        chain.stop()
    with pytest.raises(NodeNotRunningError):
        chain.kill()


def test_errors_carry_code_field_and_retryable() -> None:
    classes = [getattr(node, name) for name in node.__all__ if name.endswith("Error")]
    assert all(issubclass(cls, NodeError) for cls in classes)
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes) and all(c.startswith("node.") for c in codes)
    assert NodePortInUseError("127.0.0.1", 1).field == "port"
    assert not NodePortInUseError.retryable and node.NodeStartTimeoutError.retryable


def test_public_api_is_complete() -> None:
    public = {n for n in dir(node) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(node.__all__)


# -- command line -----------------------------------------------------------------------------


@pytest.mark.integration
def test_cli_up_status_down(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, port = str(tmp_path / "cli-node"), str(free_port())
    try:
        assert main(["node", "up", "--data-dir", data, "--port", port, "--block-time", "0"]) == 0
        assert f"127.0.0.1:{port}" in capsys.readouterr().out
        assert main(["node", "up", "--data-dir", data, "--port", port]) == 1
        assert "already running" in capsys.readouterr().err
        assert main(["node", "status", "--data-dir", data, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["running"] and status["chain_id"] == DEV_CHAIN_ID
        assert status["block_number"] == 0
    finally:
        assert main(["node", "down", "--data-dir", data]) == 0
    assert "state saved" in capsys.readouterr().out
    assert main(["node", "status", "--data-dir", data]) == 3
    assert "stopped" in capsys.readouterr().out
    assert main(["node", "down", "--data-dir", data]) == 0
    assert "no node is running" in capsys.readouterr().err


def test_cli_registers_node_and_network_commands(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("node", "network"):
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0
        assert "COMMAND" in capsys.readouterr().out


def test_cli_reports_a_missing_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACENET_NODE_ANVIL_BIN", str(tmp_path / "no-anvil"))
    assert main(["node", "up", "--data-dir", str(tmp_path / "n"), "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert "anvil not found" in err and "no-anvil" in err


@pytest.mark.integration
def test_a_pinned_genesis_starts_the_chains_calendar_there(
    make_node: Callable[..., AnvilNode],
) -> None:
    pinned = 1_796_083_200  # 2026-12-01T00:00:00Z, whatever today is
    with make_node(genesis_timestamp=pinned) as chain:
        rpc_call(chain.rpc_url, "evm_mine")
        genesis, first = (
            int(rpc_call(chain.rpc_url, "eth_getBlockByNumber", [n, False])["timestamp"], 16)
            for n in ("0x0", "0x1")
        )
    assert genesis == pinned
    assert pinned <= first < pinned + 60  # then the clock runs on from there
