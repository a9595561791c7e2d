"""Reading the chain: heads, block headers and logs, over JSON-RPC (httpx) or any web3 provider.

``RpcReader`` talks JSON-RPC directly (batched header requests, no web3 formatting) because the
catch-up reads hundreds of thousands of logs; ``Web3Reader`` adapts a ``Web3`` instance (the
in-process eth-tester chain of the unit tests). Both return ``RawLog`` and ``Header`` values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hexbytes import HexBytes
from web3 import Web3

from tracenet.contracts import RpcClient
from tracenet.contracts.errors import RpcError, RpcUnavailable
from tracenet.indexer.errors import ChainReadError, RangeTooLargeError
from tracenet.indexer.mirror._decode import RawLog

__all__ = ["ChainReader", "Header", "RpcReader", "Web3Reader"]

#: Error texts by which nodes refuse a log range (Besu, geth, Erigon, Alchemy, anvil…).
_RANGE_REFUSED = re.compile(
    r"range|too many|too large|limit|exceed|response size|query timeout|-32005", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class ChainReader(Protocol):
    """What the follower needs of a node."""

    def chain_id(self) -> int: ...

    def head(self) -> int: ...

    def headers(self, numbers: Sequence[int]) -> dict[int, Header]:
        """Headers by number; numbers above the head are left out."""
        ...

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        """Logs of ``addresses`` in [from_block, to_block], in chain order."""
        ...


def _raw_log(item: Any) -> RawLog:
    ts = item.get("blockTimestamp")
    return RawLog(
        block_number=int(item["blockNumber"], 16),
        block_hash=item["blockHash"].lower(),
        log_index=int(item["logIndex"], 16),
        tx_hash=item["transactionHash"].lower(),
        address=item["address"].lower(),
        topics=tuple(bytes.fromhex(t[2:]) for t in item["topics"]),
        data=bytes.fromhex(item["data"][2:]),
        timestamp=int(ts, 16) if ts else None,
    )


class RpcReader:
    """A JSON-RPC node over HTTP, through the SDK's ``contracts.RpcClient`` (batches, retries,
    QBFT headers)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._client = RpcClient(url, timeout=timeout)
        self.url = self._client.url  # without a user:password@ part: it goes into errors

    def close(self) -> None:
        self._client.close()

    def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        try:
            return self._client.batch(calls)
        except RpcUnavailable as exc:
            raise ChainReadError(f"{self.url}: {exc.reason}", field="rpc") from exc

    def call(self, method: str, params: list[Any]) -> Any:
        (result,) = self._batch([(method, params)])
        if isinstance(result, RpcError):
            raise ChainReadError(f"{method}: {result.error}", field=method)
        return result

    def chain_id(self) -> int:
        return int(self.call("eth_chainId", []), 16)

    def head(self) -> int:
        return int(self.call("eth_blockNumber", []), 16)

    def headers(self, numbers: Sequence[int]) -> dict[int, Header]:
        out: dict[int, Header] = {}
        for start in range(0, len(numbers), 200):
            chunk = numbers[start : start + 200]
            replies = self._batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for block in replies:
                if isinstance(block, RpcError):
                    raise ChainReadError(f"eth_getBlockByNumber: {block.error}", field="block")
                if block is None:
                    continue
                header = Header(
                    int(block["number"], 16),
                    block["hash"].lower(),
                    block["parentHash"].lower(),
                    int(block["timestamp"], 16),
                )
                out[header.number] = header
        return out

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        params = [
            {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": list(addresses)}
        ]
        try:
            (reply,) = self._client.batch([("eth_getLogs", params)])
        except RpcUnavailable as exc:
            if exc.timed_out:
                message = f"{self.url}: timed out"
                raise RangeTooLargeError(message, from_block=from_block, to_block=to_block) from exc
            raise ChainReadError(f"{self.url}: {exc.reason}", field="rpc") from exc
        if isinstance(reply, RpcError):
            text = str(reply.error)
            if _RANGE_REFUSED.search(text):
                raise RangeTooLargeError(text, from_block=from_block, to_block=to_block)
            raise ChainReadError(f"eth_getLogs: {text}", field="eth_getLogs")
        return [_raw_log(item) for item in reply]


class Web3Reader:
    """Any ``Web3`` instance (the eth-tester chain of the unit tests, or an HTTP provider)."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def headers(self, numbers: Sequence[int]) -> dict[int, Header]:
        head = self.head()
        out = {}
        for n in numbers:
            if n > head:
                continue
            block = self.w3.eth.get_block(n)
            out[n] = Header(
                n,
                HexBytes(block["hash"]).to_0x_hex(),
                HexBytes(block["parentHash"]).to_0x_hex(),
                int(block["timestamp"]),
            )
        return out

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        found = self.w3.eth.get_logs(
            {
                "fromBlock": from_block,
                "toBlock": to_block,
                "address": [Web3.to_checksum_address(a) for a in addresses],
            }
        )
        out = [
            RawLog(
                block_number=int(item["blockNumber"]),
                block_hash=HexBytes(item["blockHash"]).to_0x_hex(),
                log_index=int(item["logIndex"]),
                tx_hash=HexBytes(item["transactionHash"]).to_0x_hex(),
                address=str(item["address"]).lower(),
                topics=tuple(bytes(HexBytes(t)) for t in item["topics"]),
                data=bytes(HexBytes(item["data"])),
            )
            for item in found
        ]
        out.sort(key=lambda log: (log.block_number, log.log_index))
        return out
