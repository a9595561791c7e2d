"""The indexer's one event shape: ``Event`` = where on the chain (``EventRef``) + the SDK's typed
record (``contracts.records``), decoded once.

The follower decodes logs with the SDK (``contracts.EventDecoder``) into these; the projections,
the registry, the lineage book and the verifier all read the record's own fields. The archive
row's ``args`` is the record's ``to_args()`` (keys by ABI name, bytes as ``0x`` hex), and a
replay from the archive turns it back with ``from_args``: ``Event.of_row``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from tracenet import contracts
from tracenet.contracts import EventRecord

__all__ = ["Event", "EventDecoder", "EventRef", "RawLog"]

_R = TypeVar("_R", bound=EventRecord, covariant=True)

#: Event record classes by (contract, name), for a row of the archive.
_BY_NAME: dict[tuple[str, str], type[EventRecord]] = {
    (cls.CONTRACT, cls.NAME): cls for cls in contracts.EVENT_TYPES.values()
}


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


class EventRef(NamedTuple):
    """Where an event sits on the chain; ``(block_number, log_index)`` orders events."""

    block_number: int
    log_index: int
    tx_hash: str  # 0x-prefixed
    timestamp: int  # block time, UTC seconds
    block_hash: str = ""  # 0x-prefixed; the mirror keeps it to detect reorgs

    @property
    def order(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


class Event(NamedTuple, Generic[_R]):
    """One decoded log: its place on the chain and its typed record."""

    ref: EventRef
    record: _R

    @classmethod
    def of_row(cls, row: Any) -> Event[EventRecord]:
        """The event of a row of the archive (``event`` table: position, contract, name, args)."""
        kind = _BY_NAME[(row.contract, row.name)]
        ref = EventRef(row.block_number, row.log_index, row.tx_hash, row.timestamp, row.block_hash)
        return Event(ref, kind.from_args(row.args))


class EventDecoder:
    """Decodes the logs of one deployment's three contracts (by address and first topic)."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self.addresses = {name: addresses[name].lower() for name in contracts.LEDGER_CONTRACTS}
        self._decoder = contracts.EventDecoder(self.addresses)

    @property
    def topics(self) -> list[str]:
        """Every first topic the decoder knows, as ``0x`` hex."""
        return self._decoder.topics

    def decode(self, log: RawLog, timestamp: int) -> Event[EventRecord] | None:
        """The decoded event, or None for a log of another contract or an unknown topic."""
        record = self._decoder.decode_raw(log.address, log.topics, log.data)
        if record is None:
            return None
        ref = EventRef(log.block_number, log.log_index, log.tx_hash, timestamp, log.block_hash)
        return Event(ref, record)

    def decode_all(
        self, logs: Iterable[RawLog], timestamps: Mapping[int, int]
    ) -> list[Event[EventRecord]]:
        out = []
        for log in logs:
            event = self.decode(log, timestamps[log.block_number])
            if event is not None:
                out.append(event)
        return out
