"""The gateway's view of the node: a small async interface, two implementations.

``RpcChain`` speaks JSON-RPC over HTTP with batches (one round trip for hundreds of raw
transactions or receipts); ``Web3Chain`` (``_web3chain``) wraps a synchronous ``Web3`` (the
in-process eth-tester of the unit tests). Reverts of ``call`` surface as
``contracts.errors.LedgerRevert``; a node that does not answer as ``ChainUnavailable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from hexbytes import HexBytes

from tracenet import contracts
from tracenet.contracts.errors import LedgerRevert, RpcUnavailable, UnknownRevert
from tracenet.contracts.errors import RpcError as _NodeError
from tracenet.gateway.errors import ChainUnavailable
from tracenet.kit.errors import TracenetError

__all__ = ["Chain", "RpcChain", "RpcError"]


class Chain(Protocol):
    async def chain_id(self) -> int: ...
    async def block_number(self) -> int: ...
    async def gas_price(self) -> int: ...
    async def timestamp(self) -> int: ...
    async def call(self, to: str, data: str, block: str | int = "latest") -> bytes: ...
    async def nonce(self, address: str, tag: str = "latest") -> int: ...
    async def send_raw(self, raws: Sequence[str]) -> list[str | None]: ...
    async def block_hash(self, number: int) -> str | None: ...
    async def block_hashes(self, numbers: Sequence[int]) -> list[str | None]: ...
    async def block_receipts(self, number: int) -> list[dict[str, Any]]: ...
    async def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]: ...
    async def transactions(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]: ...
    async def revert_of(self, receipt: dict[str, Any]) -> LedgerRevert: ...
    async def aclose(self) -> None: ...


class RpcError(TracenetError):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message", error)))
        self.error = error


_CALLS_PER_BATCH = 500


class RpcChain:
    """JSON-RPC over HTTP: the SDK's ``contracts.AsyncRpcClient`` (keep-alive, batches,
    retries with backoff on transport errors, QBFT headers).

    Single calls made in the same turn of the event loop (the views a burst of requests
    refreshes, whom each signer acts for) go to the node as ONE batch: an HTTP round trip
    through httpx costs about 1 ms of the event loop's CPU, a call in a batch a few µs."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._client = contracts.AsyncRpcClient(url, timeout=timeout)
        self.url = self._client.url  # without the password of a user:password@ URL
        self._receipts_by_block = True
        self._calls: list[tuple[str, list[Any], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Future[None]] = set()  # batches of single calls

    async def aclose(self) -> None:
        await self._client.aclose()

    async def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in order; an item is an ``RpcError`` where that call failed."""
        try:
            results = await self._client.batch(calls)
        except RpcUnavailable as exc:
            raise ChainUnavailable(f"node at {self.url} did not answer: {exc.reason}") from None
        return [RpcError(r.error) if isinstance(r, _NodeError) else r for r in results]

    async def rpc(self, method: str, params: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if not self._calls:
            asyncio.get_running_loop().call_soon(self._flush)
        self._calls.append((method, params, future))
        result = await future
        if isinstance(result, RpcError):
            raise result
        return result

    def _flush(self) -> None:
        calls, self._calls = self._calls, []
        for start in range(0, len(calls), _CALLS_PER_BATCH):  # nodes cap a batch (Besu: 1024)
            part = calls[start : start + _CALLS_PER_BATCH]
            self._sending.add(asyncio.ensure_future(self._answer(part)))

    async def _answer(self, calls: list[tuple[str, list[Any], asyncio.Future[Any]]]) -> None:
        """One batch for ``calls``; each caller's future gets its result (or the failure)."""
        try:
            results = await self.batch([(m, p) for m, p, _ in calls])
        except BaseException as exc:
            for _, _, future in calls:
                if not future.done():
                    if isinstance(exc, asyncio.CancelledError):
                        future.cancel()
                    else:
                        future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, _, future), result in zip(calls, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._sending.discard(asyncio.current_task())

    async def chain_id(self) -> int:
        return int(await self.rpc("eth_chainId", []), 16)

    async def block_number(self) -> int:
        return int(await self.rpc("eth_blockNumber", []), 16)

    async def gas_price(self) -> int:
        return int(await self.rpc("eth_gasPrice", []), 16)

    async def timestamp(self) -> int:
        block = await self.rpc("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    async def call(self, to: str, data: str, block: str | int = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        try:
            return bytes(HexBytes(await self.rpc("eth_call", [{"to": to, "data": data}, tag])))
        except RpcError as exc:
            raise _revert(exc.error) from None

    async def nonce(self, address: str, tag: str = "latest") -> int:
        return int(await self.rpc("eth_getTransactionCount", [address, tag]), 16)

    async def send_raw(self, raws: Sequence[str]) -> list[str | None]:
        results = await self.batch([("eth_sendRawTransaction", [r]) for r in raws])
        return [None if isinstance(r, RpcError) and not _known(r) else "ok" for r in results]

    async def block_hash(self, number: int) -> str | None:
        return (await self.block_hashes([number]))[0]

    async def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        blocks = await self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return [b["hash"] if isinstance(b, dict) else None for b in blocks]

    async def block_receipts(self, number: int) -> list[dict[str, Any]]:
        if self._receipts_by_block:
            try:
                return list(await self.rpc("eth_getBlockReceipts", [hex(number)]) or [])
            except RpcError:
                self._receipts_by_block = False
        block = await self.rpc("eth_getBlockByNumber", [hex(number), False])
        found = await self.receipts(block["transactions"] if block else [])
        return [r for r in found if r is not None]

    async def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        out = await self.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        return [r if isinstance(r, dict) else None for r in out]

    async def transactions(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        out = await self.batch([("eth_getTransactionByHash", [h]) for h in hashes])
        return [r if isinstance(r, dict) else None for r in out]

    async def revert_of(self, receipt: dict[str, Any]) -> LedgerRevert:
        """The custom error a mined, failed transaction reverted with.

        First ``debug_traceTransaction`` with the call tracer (exact: the transaction's own
        execution in its block); where the node has no tracer, ``eth_call`` replayed on the
        parent block (right unless a transaction before it in the same block changed the state).
        """
        tx_hash = receipt["transactionHash"]
        try:
            trace = await self.rpc("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
            if isinstance(trace, dict) and trace.get("output"):
                return _decode(trace["output"], tx_hash)
        except RpcError:
            pass
        (tx,) = await self.transactions([tx_hash])
        if tx is None:
            return UnknownRevert(b"", reason="transaction not found", tx_hash=tx_hash)
        parent = int(receipt["blockNumber"], 16) - 1
        try:
            await self.rpc(
                "eth_call", [{"from": tx["from"], "to": tx["to"], "data": tx["input"]}, hex(parent)]
            )
        except RpcError as exc:
            revert = _revert(exc.error)
            revert.tx_hash = tx_hash
            return revert
        return UnknownRevert(b"", reason="status 0, but the replay did not revert", tx_hash=tx_hash)


def _known(error: RpcError) -> bool:
    """A send that failed because the node has the transaction already counts as sent."""
    message = str(error).lower()
    return "already known" in message or "already imported" in message


def _decode(data: str, tx_hash: str | None) -> LedgerRevert:
    try:
        decoded = contracts.decode_error(data)
    except UnknownRevert as exc:
        return UnknownRevert(exc.data, reason=exc.reason, tx_hash=tx_hash)
    return LedgerRevert(decoded.name, decoded.args, tx_hash=tx_hash, data=bytes(HexBytes(data)))


def _revert(error: dict[str, Any]) -> LedgerRevert:
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return _decode(data, None)
    return UnknownRevert(b"", reason=str(error.get("message", "")))
