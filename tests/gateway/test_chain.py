"""RpcChain: the single calls of one event-loop turn share one JSON-RPC batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from tracenet.contracts.errors import RpcError as NodeError
from tracenet.contracts.errors import RpcUnavailable
from tracenet.gateway.errors import ChainUnavailable
from tracenet.gateway.pipeline._chain import RpcChain, RpcError


class _Node:
    """Stands in for ``contracts.AsyncRpcClient``: records each batch, answers per call."""

    def __init__(self, *, down: bool = False) -> None:
        self.batches: list[list[tuple[str, Any]]] = []
        self.down = down

    async def batch(self, calls: Sequence[tuple[str, Any]]) -> list[Any]:
        self.batches.append(list(calls))
        await asyncio.sleep(0)
        if self.down:
            raise RpcUnavailable("http://node", "connection refused")
        return [
            NodeError(m, {"code": -32000, "message": "no such method"}) if m == "bad" else [m, *p]
            for m, p in calls
        ]

    async def aclose(self) -> None:
        return None


def _chain(node: _Node) -> RpcChain:
    chain = RpcChain("http://node")
    chain._client = node  # type: ignore[assignment]
    return chain


def test_concurrent_calls_go_in_one_batch_and_each_gets_its_own_answer() -> None:
    node = _Node()

    async def run() -> list[Any]:
        chain = _chain(node)
        calls = [chain.rpc("eth_call", [i]) for i in range(700)] + [chain.rpc("bad", [])]
        return await asyncio.gather(*calls, return_exceptions=True)

    answers = asyncio.run(run())
    assert answers[:700] == [["eth_call", i] for i in range(700)]
    assert isinstance(answers[700], RpcError) and "no such method" in str(answers[700])
    assert [len(b) for b in node.batches] == [500, 201]  # one turn; at most 500 a batch


def test_calls_of_later_turns_go_in_later_batches() -> None:
    node = _Node()

    async def run() -> list[Any]:
        chain = _chain(node)
        first = await chain.rpc("eth_blockNumber", [])
        second = await chain.rpc("eth_chainId", [])
        return [first, second]

    assert asyncio.run(run()) == [["eth_blockNumber"], ["eth_chainId"]]
    assert len(node.batches) == 2


def test_a_node_that_does_not_answer_fails_every_caller_of_the_batch() -> None:
    node = _Node(down=True)

    async def run() -> list[Any]:
        chain = _chain(node)
        return await asyncio.gather(
            *(chain.rpc("eth_call", [i]) for i in range(3)), return_exceptions=True
        )

    answers = asyncio.run(run())
    assert len(node.batches) == 1
    assert all(isinstance(a, ChainUnavailable) for a in answers), answers
    with pytest.raises(ChainUnavailable):
        asyncio.run(_chain(_Node(down=True)).block_number())
