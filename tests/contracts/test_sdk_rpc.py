"""The one JSON-RPC client: batches, retries, errors, and QBFT headers end to end."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3
from web3.exceptions import ExtraDataLengthError

from benchmarks._chainfill import Filler
from tests._support import free_port
from tests.indexer.conftest import node_settings
from tracenet import contracts
from tracenet.cli import main
from tracenet.contracts.errors import RpcError, RpcUnavailable
from tracenet.indexer import Follower, IndexerSettings, RpcReader, make_engine
from tracenet.node import AnvilNode

#: What a Besu QBFT header carries in extraData: vanity, validators, votes, round, seals.
QBFT_EXTRA = "0x" + "f8" + "ab" * 120

Answer = Callable[[Any], tuple[int, Any]]


class FakeNode:
    """A JSON-RPC endpoint on a free port; ``answer(body) -> (status, reply)`` per request."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[Any] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                status, reply = answer(body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[Callable[[Answer], FakeNode]]:
    started: list[FakeNode] = []

    def start(answer: Answer) -> FakeNode:
        started.append(FakeNode(answer))
        return started[-1]

    yield start
    for node in started:
        node.close()


def _echo(body: Any) -> tuple[int, Any]:
    def one(call: dict[str, Any]) -> dict[str, Any]:
        if call["method"] == "boom":
            return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": 3, "message": "no"}}
        return {"jsonrpc": "2.0", "id": call["id"], "result": call["params"]}

    return 200, [one(c) for c in reversed(body)] if isinstance(body, list) else one(body)


def test_a_batch_is_one_request_and_results_come_back_in_order(fake: Any) -> None:
    node = fake(_echo)
    with contracts.RpcClient(node.url) as rpc:
        out = rpc.batch([("a", [1]), ("boom", []), ("c", [3])])
        assert out[0] == [1] and out[2] == [3]
        assert isinstance(out[1], RpcError) and (out[1].code, out[1].method) == (3, "boom")
        with pytest.raises(RpcError, match="boom: no"):
            rpc.request("boom")
    assert len(node.requests) == 2 and len(node.requests[0]) == 3


def test_transport_errors_are_retried_with_backoff_then_reported(fake: Any) -> None:
    failures = iter([503, 502])
    node = fake(lambda body: (next(failures, 200), _echo(body)[1]))
    with contracts.RpcClient(node.url, retries=3, backoff=0.01) as rpc:
        assert rpc.request("x", [7]) == [7]
    assert len(node.requests) == 3
    dead = f"http://127.0.0.1:{free_port()}"
    with (
        contracts.RpcClient(dead, retries=2, backoff=0.01) as rpc,
        pytest.raises(RpcUnavailable) as caught,
    ):
        rpc.block_number()
    assert caught.value.retryable and "ConnectError" in caught.value.reason


def test_a_node_error_is_not_retried(fake: Any) -> None:
    node = fake(lambda body: (400, {"error": "bad"}))
    with contracts.RpcClient(node.url, backoff=0.01) as rpc, pytest.raises(RpcUnavailable):
        rpc.request("x")
    assert len(node.requests) == 1


def test_the_async_client_batches_and_retries_too(fake: Any) -> None:
    failures = iter([429])
    node = fake(lambda body: (next(failures, 200), _echo(body)[1]))

    async def run() -> list[Any]:
        rpc = contracts.AsyncRpcClient(node.url, backoff=0.01)
        try:
            return await rpc.batch([("a", [1]), ("b", [2])])
        finally:
            await rpc.aclose()

    assert asyncio.run(run()) == [[1], [2]]
    assert len(node.requests) == 2


def test_headers_with_qbft_extra_data_are_read(fake: Any) -> None:
    block = {
        "number": "0x5", "hash": "0x" + "AB" * 32, "parentHash": "0x" + "cd" * 32,
        "timestamp": "0x10", "extraData": QBFT_EXTRA,
    }  # fmt: skip
    node = fake(lambda body: (200, {"jsonrpc": "2.0", "id": body["id"], "result": block}))
    with contracts.RpcClient(node.url) as rpc:
        header = rpc.header(5)
    assert header is not None and (header.number, header.timestamp) == (5, 16)
    assert header.hash == "0x" + "ab" * 32 and len(header.extra_data) == 121


# ---- end to end: verify and the follower behind a QBFT-header proxy in front of anvil -------


def _qbft(value: Any) -> Any:
    """Every block object in a reply gets QBFT-length extraData."""
    if isinstance(value, list):
        return [_qbft(v) for v in value]
    if isinstance(value, dict):
        out = {k: _qbft(v) for k, v in value.items()}
        if "extraData" in out:
            out["extraData"] = QBFT_EXTRA
        return out
    return value


@pytest.mark.integration
def test_verify_and_the_follower_read_a_chain_with_qbft_headers(
    tmp_path: Path, fake: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with AnvilNode(node_settings(tmp_path / "node")) as anvil:
        upstream = httpx.Client(trust_env=False, timeout=30)
        proxy = fake(lambda body: (200, _qbft(upstream.post(anvil.rpc_url, json=body).json())))
        filler = Filler(anvil.rpc_url)
        try:
            deployment = filler.deploy()
            filler.rpc("evm_setAutomine", [False])
            filler.prime(2, 100 * 10 * 2)
            path = tmp_path / "deployment.json"
            deployment.save(path)
            with pytest.raises(ExtraDataLengthError):  # what a plain web3 makes of the proxy
                Web3(Web3.HTTPProvider(proxy.url)).eth.get_block("latest")

            argv = ["verify", "claim", "1", "--rpc-url", proxy.url, "--deployment", str(path)]
            assert main(argv) == 0, capsys.readouterr()
            argv = ["declaration", "shipment", "1", "--rpc-url", proxy.url]
            assert main([*argv, "--deployment", str(path), "--json"]) == 0

            engine = make_engine(f"sqlite:///{tmp_path / 'mirror.db'}")
            reader = RpcReader(proxy.url)
            follower = Follower(engine, reader, deployment, IndexerSettings(max_block_range=5))
            try:
                follower.init()
                follower.catch_up()
                assert follower.checkpoint()[0] == filler.w3.eth.block_number
                assert follower.step().events == 0  # nothing left: it really reached the head
            finally:
                follower.close()
                reader.close()
                engine.dispose()
        finally:
            filler.close()
            upstream.close()
