"""What the gateway is measured against, on the same chain, with the same signers and operation.

* ``node_intake``: the node's intake limit. Every shipment is encoded and signed before the
  clock starts; the raw transactions then go straight to the node in JSON-RPC batches
  (``eth_sendRawTransaction``) as fast as it takes them, and the clock stops when the last
  receipt is seen. Nothing a client does can be faster on this node.
* ``peer``: a competent direct client, what a developer would write instead of a gateway: asyncio,
  the project's one JSON-RPC client (``contracts.AsyncRpcClient``), local nonce management, each
  operation encoded (``contracts.records.Ship``), signed (eth-account, through the wallet's
  ``LocalSigner``) and sent concurrently from the same signers, receipts awaited at the end. No
  durability, no authentication, no rule checks before sending.

Both confirm every transaction (receipt status 1) or raise.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from typing import Any

from tracenet.contracts import AsyncRpcClient
from tracenet.contracts.records import Ship
from tracenet.wallet import LocalSigner

GAS = 400_000  # as TRACENET_GATEWAY_TX_GAS in the benchmark
POLL_S = 0.05
RECEIPTS_PER_CALL = 500


def _tx(ledger: str, chain_id: int, nonce: int, args: tuple[Any, ...]) -> dict[str, Any]:
    data = Ship(*args).encode()
    return {"to": ledger, "data": "0x" + data.hex(), "gas": GAS, "gasPrice": 0,
            "nonce": nonce, "chainId": chain_id}  # fmt: skip


async def _nonces(rpc: AsyncRpcClient, signers: Sequence[LocalSigner]) -> list[int]:
    calls = [("eth_getTransactionCount", [s.address, "pending"]) for s in signers]
    return [int(n, 16) for n in await rpc.batch(calls)]


async def wait_mined(rpc: AsyncRpcClient, hashes: Sequence[str], *, timeout: float) -> float:
    """Poll receipts until every transaction is mined; the time (``time.time``) the last was seen.
    A reverted transaction is an error: the benchmarks compare confirmed operations."""
    waiting = list(hashes)
    deadline = time.monotonic() + timeout
    while waiting:
        still: list[str] = []
        for start in range(0, len(waiting), RECEIPTS_PER_CALL):
            part = waiting[start : start + RECEIPTS_PER_CALL]
            receipts = await rpc.batch([("eth_getTransactionReceipt", [h]) for h in part])
            for h, receipt in zip(part, receipts, strict=True):
                if receipt is None:
                    still.append(h)
                elif int(receipt["status"], 16) != 1:
                    raise RuntimeError(f"transaction {h} reverted")
        waiting = still
        if waiting:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(waiting)} transactions not mined after {timeout} s")
            await asyncio.sleep(POLL_S)
    return time.time()


async def node_intake(
    rpc_url: str, ledger: str, signers: Sequence[LocalSigner], ops: Sequence[tuple[Any, ...]],
    *, batch: int = 200,
) -> float:  # fmt: skip
    """Operations per second the node absorbs and mines from pre-signed raw transactions."""
    rpc = AsyncRpcClient(rpc_url, timeout=60)
    try:
        chain_id, nonces = await rpc.chain_id(), await _nonces(rpc, signers)
        raws: list[str] = []
        for i, args in enumerate(ops):  # round-robin over the signers, as the gateway does
            k = i % len(signers)
            raws.append("0x" + signers[k].sign_transaction(
                _tx(ledger, chain_id, nonces[k] + i // len(signers), args)
            ).raw_transaction.hex())  # fmt: skip
        t0, hashes = time.time(), []
        for start in range(0, len(raws), batch):
            calls = [("eth_sendRawTransaction", [r]) for r in raws[start : start + batch]]
            hashes += await rpc.batch(calls)
        return len(ops) / (await wait_mined(rpc, hashes, timeout=600) - t0)
    finally:
        await rpc.aclose()


async def peer(
    rpc_url: str, ledger: str, signers: Sequence[LocalSigner], ops: Sequence[tuple[Any, ...]],
    *, concurrency: int = 64,
) -> float:  # fmt: skip
    """Operations per second of a competent direct client (encode, sign, send concurrently)."""
    rpc = AsyncRpcClient(rpc_url, timeout=60)
    try:
        chain_id, nonces = await rpc.chain_id(), await _nonces(rpc, signers)
        counters = [itertools.count(n) for n in nonces]
        gate = asyncio.Semaphore(concurrency)

        async def send(i: int, args: tuple[Any, ...]) -> str:
            async with gate:
                k = i % len(signers)
                signed = signers[k].sign_transaction(_tx(ledger, chain_id, next(counters[k]), args))
                sent: str = await rpc.request(
                    "eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()]
                )
                return sent

        t0 = time.time()
        hashes = await asyncio.gather(*(send(i, args) for i, args in enumerate(ops)))
        return len(ops) / (await wait_mined(rpc, hashes, timeout=600) - t0)
    finally:
        await rpc.aclose()
