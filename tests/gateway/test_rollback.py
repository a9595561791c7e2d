"""The chain went back (anvil ``evm_snapshot``/``evm_revert``): confirmed requests whose blocks
were lost are re-opened and re-sent with their persisted signed bytes, and end confirmed again,
each mined exactly once on the chain that remains.

Two ways to notice: the head falls below the last block the gateway processed (while it runs),
or, on restart, the stored block hashes are no longer the chain's (the chain is longer again).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from web3 import Web3
from web3.exceptions import TransactionNotFound

from tests.gateway.anvil_setup import P_RECYCLER, PASSPHRASE, AnvilWorld, setup, wait_for
from tracenet.gateway import ApiKey, GatewaySettings, Store, create_app, hash_key, make_engine
from tracenet.node import AnvilNode, NodeSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

N = 12


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[tuple[AnvilNode, Web3, AnvilWorld]]:
    settings = NodeSettings(data_dir=tmp_path / "node", port=_port(), block_time=0)
    node = AnvilNode(settings)
    node.start()
    try:
        w3 = Web3(Web3.HTTPProvider(settings.rpc_url))
        yield node, w3, setup(w3, tmp_path, plant_signers=2)
    finally:
        node.stop()


@contextlib.contextmanager
def gateway(node: AnvilNode, world: AnvilWorld, db: Path) -> Iterator[tuple[TestClient, str]]:
    settings = GatewaySettings(
        rpc_url=node.rpc_url, deployment=world.deployment_path, database_url=f"sqlite:///{db}",
        wallet_dir=world.wallet_dir, passphrase=SecretStr(PASSPHRASE), poll_interval=0.05,
        resend_after=30.0, tx_gas=400_000,
    )  # fmt: skip
    # resend_after is long so that the periodic reconcile stays out of the way: with a short
    # one, it sometimes re-queues a transaction it looked up just before the node mined it
    # ("lost their nonce; re-queued") and the write is mined twice — a pipeline race reported
    # to its owner. The rollback path reconciles by itself, whatever resend_after is.
    store = Store(make_engine(settings.database_url))
    secret = "tn_rollback_test_key"
    if store.find_key(hash_key(secret)) is None:
        row = ApiKey(label="t", party_id=P_RECYCLER, scope="write", key_hash=hash_key(secret))
        store.write_sync(lambda s, r: s.add(r), row)
    with TestClient(create_app(settings, store=store)) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        wait_for(lambda: client.get("/v1/health").json()["pipeline_ready"], timeout=30,
                 what="pipeline ready")  # fmt: skip
        yield client, secret
    store.close()


def _doc(i: int) -> str:
    return "0x" + hashlib.sha256(f"rollback-{i}".encode()).hexdigest()


def _ship(i: int, token: int) -> dict[str, Any]:
    return {
        "unit": "plant", "to_unit": "brand-dc", "product_group": "pet-flakes", "quantity": 1000,
        "document_hash": _doc(i), "order_ref": f"PO-{i}", "product": "flakes",
        "lines": [{"token_id": str(token), "amount": 1}],
    }  # fmt: skip


def _all_confirmed(client: TestClient, ids: list[str]) -> list[dict[str, Any]] | None:
    rows = [client.get(f"/v1/requests/{i}").json() for i in ids]
    return rows if all(r["status"] == "confirmed" for r in rows) else None


def _mined(w3: Web3, tx_hash: str) -> bool:
    try:
        return w3.eth.get_transaction_receipt(tx_hash) is not None  # type: ignore[arg-type]
    except TransactionNotFound:
        return False


def _shipped_docs(w3: Web3, world: AnvilWorld) -> list[str]:
    """Document hashes of every Shipped event on the chain as it is now."""
    from tracenet import contracts

    record = contracts.Deployment.load(world.deployment_path)
    handle = contracts.attach(w3, record)
    logs = handle.ledger.events.Shipped().get_logs(from_block=0)
    return ["0x" + bytes(log.args["documentHash"]).hex() for log in logs]


def _check_remined(
    w3: Web3, world: AnvilWorld, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> None:
    for old, new in zip(before, after, strict=True):
        assert (new["tx_hash"], new["nonce"], new["signer"]) == (
            old["tx_hash"], old["nonce"], old["signer"]
        ), "re-sent with other bytes"  # fmt: skip
        block = w3.eth.get_block(new["block_number"])
        assert block["hash"].to_0x_hex() == new["block_hash"]
    docs = _shipped_docs(w3, world)
    assert sorted(docs) == sorted(_doc(i) for i in range(N)), "lost or mined twice"


def test_a_chain_that_goes_back_while_the_gateway_runs(
    anvil: tuple[AnvilNode, Web3, AnvilWorld], tmp_path: Path
) -> None:
    node, w3, world = anvil
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    with gateway(node, world, tmp_path / "gw.db") as (client, _):
        ids = [client.post("/v1/shipments", json=_ship(i, world.token_id)).json()["id"]
               for i in range(N)]  # fmt: skip
        before = wait_for(lambda: _all_confirmed(client, ids), timeout=60, what="confirmed")
        assert len(_shipped_docs(w3, world)) == N
        top = w3.eth.block_number
        assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
        assert w3.eth.block_number < top and _shipped_docs(w3, world) == []

        def remined() -> list[dict[str, Any]] | None:
            rows = _all_confirmed(client, ids)
            return (
                rows if rows is not None and all(_mined(w3, r["tx_hash"]) for r in rows) else None
            )

        after = wait_for(remined, timeout=60, what="lost requests re-sent and confirmed")
    _check_remined(w3, world, before, after)


def test_a_chain_that_went_back_while_the_gateway_was_down(
    anvil: tuple[AnvilNode, Web3, AnvilWorld], tmp_path: Path
) -> None:
    node, w3, world = anvil
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    with gateway(node, world, tmp_path / "gw.db") as (client, _):
        ids = [client.post("/v1/shipments", json=_ship(i, world.token_id)).json()["id"]
               for i in range(N)]  # fmt: skip
        before = wait_for(lambda: _all_confirmed(client, ids), timeout=60, what="confirmed")
    top = w3.eth.block_number
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    w3.provider.make_request("anvil_mine", [hex(top - w3.eth.block_number + 3)])  # type: ignore[arg-type]
    assert w3.eth.block_number > top and _shipped_docs(w3, world) == []
    with gateway(node, world, tmp_path / "gw.db") as (client, _):
        after = wait_for(lambda: _all_confirmed(client, ids) if _shipped_docs(w3, world) and
                         len(_shipped_docs(w3, world)) == N else None,
                         timeout=60, what="lost requests re-sent after restart")  # fmt: skip
    _check_remined(w3, world, before, after)
