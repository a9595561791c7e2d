"""One decoder from logs and receipts to the ledger's event records (``contracts.records``).

A table from first topic to a precompiled reader per event: topics and the static head slots of
the data are read straight from the bytes (no eth-abi on the hot path for the ledger's events);
an event with a struct falls back to eth-abi. Logs are accepted as a node returns them over
JSON-RPC (``0x`` hex strings) or as web3 formats them (``HexBytes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from eth_abi.abi import decode as abi_decode

from tracenet.contracts._record import EventRecord, Field, checksum
from tracenet.contracts.records import EVENTS

__all__ = ["EVENT_TYPES", "EventDecoder", "decode_log", "decode_logs", "decode_receipt"]

_Read = Callable[[bytes, int], Any]

#: Every event record class by its first topic.
EVENT_TYPES: Mapping[bytes, type[EventRecord]] = {cls.TOPIC: cls for cls in EVENTS}


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith(("0x", "0X")) else value)
    return bytes(value)


def _uint(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 32], "big")


def _uint_list(data: bytes, at: int) -> list[int]:
    start = int.from_bytes(data[at : at + 32], "big")
    base = start + 32
    n = int.from_bytes(data[start:base], "big")
    return [int.from_bytes(data[base + 32 * i : base + 32 * i + 32], "big") for i in range(n)]


def _uint_array(data: bytes, at: int) -> tuple[int, ...]:
    return tuple(_uint_list(data, at))


def _string(data: bytes, at: int) -> str:
    start = int.from_bytes(data[at : at + 32], "big")
    n = int.from_bytes(data[start : start + 32], "big")
    return data[start + 32 : start + 32 + n].decode("utf-8")


def _fast_reader(field: Field) -> _Read | None:
    """A direct reader of one data field for the types the ledger's events use, or None."""
    kind, wrap = field.abi_type, field.wrap
    if kind.startswith("uint") and "[" not in kind:
        return _uint if wrap is None else lambda d, at: wrap(_uint(d, at))
    if kind.startswith("uint") and kind.endswith("[]") and kind.count("[") == 1:
        return _uint_array
    if kind == "bool":
        return lambda d, at: d[at + 31] == 1
    if kind == "bytes32":
        return lambda d, at: d[at : at + 32]
    if kind == "address":
        return lambda d, at: checksum(d[at + 12 : at + 32])
    if kind == "string":
        return _string
    return None


def _topic_reader(field: Field) -> Callable[[bytes], Any]:
    kind, wrap = field.abi_type, field.wrap
    if kind.startswith("uint"):
        if wrap is not None:
            return lambda raw: wrap(int.from_bytes(raw, "big"))
        return lambda raw: int.from_bytes(raw, "big")
    if kind.startswith("int"):
        return lambda raw: int.from_bytes(raw, "big", signed=True)
    if kind == "address":
        return lambda raw: checksum(raw[12:])
    if kind == "bool":
        return lambda raw: raw[-1] == 1
    return bytes  # bytes32, or the keccak hash of an indexed dynamic value


class _Compiled:
    """Readers of one event class: (topics after the first, data) -> values in ABI order."""

    def __init__(self, cls: type[EventRecord]) -> None:
        self.cls = cls
        fields = cls.FIELDS
        self.topic_readers = [_topic_reader(f) for f in fields if f.indexed]
        self.body = [f for f in fields if not f.indexed]
        fast = [_fast_reader(f) for f in self.body]
        self.fast = [r for r in fast if r is not None] if all(fast) else None
        self.types = [f.canonical() for f in self.body]
        # Where each ABI field sits in (indexed values + body values).
        indexed = [f.indexed for f in fields]
        topics_first = sorted(range(len(fields)), key=lambda i: not indexed[i])
        self.take = [topics_first.index(i) for i in range(len(fields))]
        self.in_order = self.take == list(range(len(fields)))

    def values(self, topics: list[bytes], data: bytes) -> list[Any]:
        if len(topics) != len(self.topic_readers):
            raise ValueError(f"{len(topics)} indexed topics, expected {len(self.topic_readers)}")
        values = [read(t) for read, t in zip(self.topic_readers, topics, strict=True)]
        if self.fast is not None:
            values += [r(data, 32 * i) for i, r in enumerate(self.fast)]
        else:
            decoded = abi_decode(self.types, data)
            values += [f.from_abi(v) for f, v in zip(self.body, decoded, strict=True)]
        return values if self.in_order else [values[i] for i in self.take]

    def record(self, topics: list[bytes], data: bytes) -> EventRecord:
        return self.cls(*self.values(topics, data))


_COMPILED = {topic: _Compiled(cls) for topic, cls in EVENT_TYPES.items()}


class EventDecoder:
    """Decodes logs to records; with ``addresses`` (contract name -> address, as in a
    ``Deployment``) only logs that the named contract emitted at its own address."""

    def __init__(self, addresses: Mapping[str, str] | None = None) -> None:
        self.addresses = None if addresses is None else {n: a.lower() for n, a in addresses.items()}

    @property
    def topics(self) -> list[str]:
        """Every first topic the decoder knows, as ``0x`` hex (for an ``eth_getLogs`` filter)."""
        return sorted("0x" + t.hex() for t in EVENT_TYPES)

    def decode(self, log: Mapping[str, Any]) -> EventRecord | None:
        """The record of one log, or None for a log of another contract or an unknown topic.

        Raises ``ValueError`` when a known event's data is malformed."""
        found = self._find(log)
        return None if found is None else self._run(found[0].record, found, log)

    def decode_raw(self, address: str, topics: Sequence[bytes], data: bytes) -> EventRecord | None:
        """The record of one log given as raw parts (lower-case address, topics as bytes): the
        indexer's follower path; None as for ``decode``."""
        if not topics or (compiled := _COMPILED.get(topics[0])) is None:
            return None
        if self.addresses is not None and self.addresses.get(compiled.cls.CONTRACT) != address:
            return None
        try:
            return compiled.record(list(topics[1:]), data)
        except (IndexError, TypeError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"malformed {compiled.cls.NAME} log: {exc}") from exc

    def _find(self, log: Mapping[str, Any]) -> tuple[_Compiled, list[bytes]] | None:
        topics = [_as_bytes(t) for t in log["topics"]]
        if not topics or (compiled := _COMPILED.get(topics[0])) is None:
            return None
        if self.addresses is not None:
            expected = self.addresses.get(compiled.cls.CONTRACT)
            if expected is None or str(log["address"]).lower() != expected:
                return None
        return compiled, topics

    @staticmethod
    def _run(
        read: Callable[[list[bytes], bytes], Any],
        found: tuple[_Compiled, list[bytes]],
        log: Mapping[str, Any],
    ) -> Any:
        compiled, topics = found
        try:
            return read(topics[1:], _as_bytes(log["data"]))
        except (IndexError, TypeError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"malformed {compiled.cls.NAME} log: {exc}") from exc

    def decode_logs(self, logs: Iterable[Mapping[str, Any]]) -> list[EventRecord]:
        return [e for e in map(self.decode, logs) if e is not None]

    def decode_receipt(self, receipt: Mapping[str, Any]) -> list[EventRecord]:
        return self.decode_logs(receipt["logs"])


_ANY = EventDecoder()


def decode_log(
    log: Mapping[str, Any], addresses: Mapping[str, str] | None = None
) -> EventRecord | None:
    """The record of one log (see ``EventDecoder``)."""
    return (_ANY if addresses is None else EventDecoder(addresses)).decode(log)


def decode_logs(
    logs: Iterable[Mapping[str, Any]], addresses: Mapping[str, str] | None = None
) -> list[EventRecord]:
    """The records of the ledger's logs among ``logs``, in their order."""
    return (_ANY if addresses is None else EventDecoder(addresses)).decode_logs(logs)


def decode_receipt(
    receipt: Mapping[str, Any], addresses: Mapping[str, str] | None = None
) -> list[EventRecord]:
    """The records of a receipt's ledger logs, in log order."""
    return decode_logs(receipt["logs"], addresses)
