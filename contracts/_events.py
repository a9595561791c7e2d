"""One decoder from logs and receipts to the ledger's event records (``contracts.records``).

A table from first topic to a precompiled reader per event: topics and the static head slots of
the data are read straight from the bytes (no eth-abi on the hot path for the ledger's events);
an event with a struct falls back to eth-abi. Logs are accepted as a node returns them over
JSON-RPC (``0x`` hex strings) or as web3 formats them (``HexBytes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eth_abi.abi import decode as abi_decode

from contracts._record import EventRecord, Field, checksum
from contracts.records import EVENTS

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


def _uint_array(data: bytes, at: int) -> tuple[int, ...]:
    start = int.from_bytes(data[at : at + 32], "big")
    base = start + 32
    n = int.from_bytes(data[start:base], "big")
    return tuple(int.from_bytes(data[base + 32 * i : base + 32 * i + 32], "big") for i in range(n))


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


def _compile(cls: type[EventRecord]) -> Callable[[list[bytes], bytes], EventRecord]:
    """A function (topics after the first, data) -> record for one event class."""
    fields = cls.FIELDS
    order = [f.indexed for f in fields]
    topic_readers = [_topic_reader(f) for f in fields if f.indexed]
    body = [f for f in fields if not f.indexed]
    fast = [_fast_reader(f) for f in body]
    types = [f.canonical() for f in body]

    def read_body(data: bytes) -> list[Any]:
        if all(r is not None for r in fast):
            return [r(data, 32 * i) for i, r in enumerate(fast) if r is not None]
        values = abi_decode(types, data)
        return [f.from_abi(v) for f, v in zip(body, values, strict=True)]

    def decode(topics: list[bytes], data: bytes) -> EventRecord:
        indexed = iter([read(t) for read, t in zip(topic_readers, topics, strict=True)])
        plain = iter(read_body(data))
        return cls(*(next(indexed) if i else next(plain) for i in order))

    return decode


_DECODERS = {topic: _compile(cls) for topic, cls in EVENT_TYPES.items()}


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
        topics = [_as_bytes(t) for t in log["topics"]]
        if not topics or (decoder := _DECODERS.get(topics[0])) is None:
            return None
        if self.addresses is not None:
            expected = self.addresses.get(EVENT_TYPES[topics[0]].CONTRACT)
            if expected is None or str(log["address"]).lower() != expected:
                return None
        try:
            return decoder(topics[1:], _as_bytes(log["data"]))
        except (IndexError, TypeError, UnicodeDecodeError, ValueError) as exc:
            name = EVENT_TYPES[topics[0]].NAME
            raise ValueError(f"malformed {name} log: {exc}") from exc

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
