"""``Web3Chain``: a synchronous ``Web3`` (eth-tester in the unit tests) behind the gateway's async
``Chain`` interface (gateway/pipeline/_chain.py), answering in the JSON-RPC shape (hex strings)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from tracenet import contracts
from tracenet.contracts.errors import LedgerRevert, UnknownRevert

__all__ = ["Web3Chain"]


class Web3Chain:
    """A synchronous ``Web3`` (eth-tester in unit tests) behind the async interface."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._lock = asyncio.Lock()

    async def _run(self, fn: Any, *args: Any) -> Any:
        async with self._lock:
            return fn(*args)

    async def aclose(self) -> None:
        return None

    async def chain_id(self) -> int:
        return int(await self._run(lambda: self.w3.eth.chain_id))

    async def block_number(self) -> int:
        return int(await self._run(lambda: self.w3.eth.block_number))

    async def gas_price(self) -> int:
        return int(await self._run(lambda: self.w3.eth.gas_price))

    async def timestamp(self) -> int:
        return int(await self._run(lambda: self.w3.eth.get_block("latest")["timestamp"]))

    async def call(self, to: str, data: str, block: str | int = "latest") -> bytes:
        def go() -> bytes:
            try:
                return bytes(self.w3.eth.call({"to": to, "data": data}, block))  # type: ignore[typeddict-item,arg-type]
            except Exception as exc:
                raise contracts.as_ledger_revert(exc) from None

        return bytes(await self._run(go))

    async def nonce(self, address: str, tag: str = "latest") -> int:
        return int(await self._run(lambda: self.w3.eth.get_transaction_count(address, tag)))  # type: ignore[arg-type]

    async def send_raw(self, raws: Sequence[str]) -> list[str | None]:
        def go() -> list[str | None]:
            out: list[str | None] = []
            for raw in raws:
                try:
                    out.append(self.w3.eth.send_raw_transaction(HexBytes(raw)).to_0x_hex())
                except Exception:
                    out.append(None)
            return out

        return list(await self._run(go))

    async def block_hash(self, number: int) -> str | None:
        return (await self.block_hashes([number]))[0]

    async def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        def go() -> list[str | None]:
            head = self.w3.eth.block_number
            return [
                HexBytes(self.w3.eth.get_block(n)["hash"]).to_0x_hex() if n <= head else None
                for n in numbers
            ]

        return list(await self._run(go))

    async def block_receipts(self, number: int) -> list[dict[str, Any]]:
        def go() -> list[dict[str, Any]]:
            block = self.w3.eth.get_block(number)
            return [_plain(self.w3.eth.get_transaction_receipt(h)) for h in block["transactions"]]  # type: ignore[arg-type]

        return list(await self._run(go))

    async def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        def go() -> list[dict[str, Any] | None]:
            out: list[dict[str, Any] | None] = []
            for h in hashes:
                try:
                    out.append(_plain(self.w3.eth.get_transaction_receipt(h)))  # type: ignore[arg-type]
                except Exception:
                    out.append(None)
            return out

        return list(await self._run(go))

    async def transactions(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        def go() -> list[dict[str, Any] | None]:
            out: list[dict[str, Any] | None] = []
            for h in hashes:
                try:
                    out.append(_plain(self.w3.eth.get_transaction(h)))  # type: ignore[arg-type]
                except Exception:
                    out.append(None)
            return out

        return list(await self._run(go))

    async def revert_of(self, receipt: dict[str, Any]) -> LedgerRevert:
        def go() -> LedgerRevert:
            tx = self.w3.eth.get_transaction(receipt["transactionHash"])
            params = {"from": tx["from"], "to": tx["to"], "data": tx["input"]}
            try:
                self.w3.eth.call(params, int(receipt["blockNumber"], 16) - 1)  # type: ignore[arg-type]
            except Exception as exc:
                return contracts.as_ledger_revert(exc, tx_hash=receipt["transactionHash"])
            return UnknownRevert(b"", reason="replay did not revert")

        result: LedgerRevert = await self._run(go)
        return result


def _plain(value: Any) -> Any:
    """web3's AttributeDict/HexBytes/int receipt → the JSON-RPC shape (hex strings)."""
    if isinstance(value, bytes):
        return HexBytes(value).to_0x_hex()
    if isinstance(value, int) and not isinstance(value, bool):
        return hex(value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in dict(value).items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
