"""The follower's view of a log: ``RawLog`` in, ``Event`` (block position + decoded args) out.

Decoding is the SDK's (``contracts.EventDecoder``: one topic table, straight from the bytes).
``args`` is what the record's ``to_args()`` gives (``decode_args`` skips the record), the JSON
form the projections, the archive (``event.args``) and a replay from the archive all see:
integers stay integers, ``bytes32`` become ``0x`` hex, addresses are checksummed, structs
become dicts by ABI field name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tracenet import contracts

__all__ = ["Event", "EventDecoder", "RawLog"]


@dataclass(frozen=True, slots=True)
class RawLog:
    """One log as the node returned it; hashes and addresses as lower-case ``0x`` hex."""

    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    address: str
    topics: tuple[bytes, ...]
    data: bytes
    timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A decoded log of one of the ledger's contracts, keyed by (block_number, log_index)."""

    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    timestamp: int
    contract: str
    name: str
    args: dict[str, Any]


class EventDecoder:
    """Decodes the logs of one deployment's three contracts (by address and first topic)."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self.addresses = {name: addresses[name].lower() for name in contracts.LEDGER_CONTRACTS}
        self._decoder = contracts.EventDecoder(self.addresses)

    @property
    def topics(self) -> list[str]:
        """Every first topic the decoder knows, as ``0x`` hex."""
        return self._decoder.topics

    def decode(self, log: RawLog, timestamp: int) -> Event | None:
        """The decoded event, or None for a log of another contract or an unknown topic."""
        found = self._decoder.decode_args(log.address, log.topics, log.data)
        if found is None:
            return None
        return Event(
            block_number=log.block_number,
            log_index=log.log_index,
            block_hash=log.block_hash,
            tx_hash=log.tx_hash,
            timestamp=timestamp,
            contract=found[0].CONTRACT,
            name=found[0].NAME,
            args=found[1],
        )

    def decode_all(self, logs: Iterable[RawLog], timestamps: Mapping[int, int]) -> list[Event]:
        out = []
        for log in logs:
            event = self.decode(log, timestamps[log.block_number])
            if event is not None:
                out.append(event)
        return out
