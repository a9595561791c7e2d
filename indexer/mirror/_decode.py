"""Decoding the ledger's logs: one precomputed table per (contract address, topic) to eth_abi.

Arguments are normalised to JSON-ready values once, here, so that the projections, the archive
(``event.args``) and a replay from the archive all see the same thing: integers stay integers,
``bytes32`` become ``0x`` hex, addresses are checksummed, structs become dicts by field name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address

from contracts import LEDGER_CONTRACTS, load_artifact

__all__ = ["Event", "EventDecoder", "RawLog"]

_Convert = Callable[[Any], Any]


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


@dataclass(frozen=True, slots=True)
class _Spec:
    contract: str
    name: str
    indexed: tuple[tuple[str, _Convert], ...]
    body_names: tuple[str, ...]
    body_types: tuple[str, ...]
    body_convert: tuple[_Convert, ...]
    fast: tuple[Callable[[bytes, int], Any], ...] | None


def _identity(value: Any) -> Any:
    return value


@functools.lru_cache(maxsize=65_536)
def _checksum(raw: bytes) -> str:
    """Checksummed address (cached: the same few addresses recur in every log)."""
    return to_checksum_address(raw)


def _fast_reader(kind: str) -> Callable[[bytes, int], Any] | None:
    """A direct decoder of one ABI head slot for the types the ledger's events use, or None."""
    if kind.startswith("uint") and not kind.endswith("]"):
        return lambda data, at: int.from_bytes(data[at : at + 32], "big")
    if kind == "bool":
        return lambda data, at: data[at + 31] == 1
    if kind == "bytes32":
        return lambda data, at: "0x" + data[at : at + 32].hex()
    if kind == "address":
        return lambda data, at: _checksum(data[at + 12 : at + 32])
    if kind.startswith("uint") and kind.endswith("[]") and "[" not in kind[:-2]:

        def array(data: bytes, at: int) -> list[int]:
            start = int.from_bytes(data[at : at + 32], "big")
            n = int.from_bytes(data[start : start + 32], "big")
            base = start + 32
            return [
                int.from_bytes(data[base + 32 * i : base + 32 * i + 32], "big") for i in range(n)
            ]

        return array
    if kind == "string":

        def text(data: bytes, at: int) -> str:
            start = int.from_bytes(data[at : at + 32], "big")
            n = int.from_bytes(data[start : start + 32], "big")
            return data[start + 32 : start + 32 + n].decode("utf-8")

        return text
    return None


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _converter(entry: Mapping[str, Any]) -> _Convert:
    kind: str = entry["type"]
    if kind.endswith("[]"):
        inner = _converter({**entry, "type": kind[:-2]})
        return lambda values: [inner(v) for v in values]
    if kind == "tuple":
        parts = [(c["name"], _converter(c)) for c in entry["components"]]
        return lambda values: {n: f(v) for (n, f), v in zip(parts, values, strict=True)}
    if kind == "address":
        return lambda value: _checksum(bytes.fromhex(value[2:]))
    if kind.startswith("bytes"):
        return _hex
    return _identity


def _fast(body: list[dict[str, Any]]) -> tuple[Callable[[bytes, int], Any], ...] | None:
    readers = [_fast_reader(i["type"]) for i in body]
    if any(r is None for r in readers):
        return None
    return tuple(r for r in readers if r is not None)


def _abi_type(entry: Mapping[str, Any]) -> str:
    kind: str = entry["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in entry["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _topic_converter(entry: Mapping[str, Any]) -> _Convert:
    kind: str = entry["type"]
    if kind.startswith(("uint", "int")):
        signed = kind.startswith("int")
        return lambda raw: int.from_bytes(raw, "big", signed=signed)
    if kind == "address":
        return lambda raw: _checksum(raw[12:])
    if kind == "bool":
        return lambda raw: raw[-1] == 1
    return _hex  # bytes32, or the hash of a dynamic value


class EventDecoder:
    """Decodes the logs of one deployment's three contracts (by address and first topic)."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self._specs: dict[tuple[str, bytes], _Spec] = {}
        self.addresses = {name: addresses[name].lower() for name in LEDGER_CONTRACTS}
        for name in LEDGER_CONTRACTS:
            for entry in load_artifact(name).abi:
                if entry["type"] != "event" or entry.get("anonymous"):
                    continue
                inputs = entry["inputs"]
                body = [i for i in inputs if not i["indexed"]]
                spec = _Spec(
                    contract=name,
                    name=entry["name"],
                    indexed=tuple((i["name"], _topic_converter(i)) for i in inputs if i["indexed"]),
                    body_names=tuple(i["name"] for i in body),
                    body_types=tuple(_abi_type(i) for i in body),
                    body_convert=tuple(_converter(i) for i in body),
                    fast=_fast(body),
                )
                topic = bytes(event_abi_to_log_topic(entry))  # type: ignore[arg-type]
                self._specs[(self.addresses[name], topic)] = spec

    @property
    def topics(self) -> list[str]:
        """Every first topic the decoder knows, as ``0x`` hex."""
        return sorted({"0x" + t.hex() for _, t in self._specs})

    def decode(self, log: RawLog, timestamp: int) -> Event | None:
        """The decoded event, or None for a log of another contract or an unknown topic."""
        if not log.topics:
            return None
        spec = self._specs.get((log.address, log.topics[0]))
        if spec is None:
            return None
        args: dict[str, Any] = {
            name: convert(topic)
            for (name, convert), topic in zip(spec.indexed, log.topics[1:], strict=True)
        }
        if spec.fast is not None:
            data = log.data
            for i, (name, read) in enumerate(zip(spec.body_names, spec.fast, strict=True)):
                args[name] = read(data, 32 * i)
        elif spec.body_types:
            values = abi_decode(spec.body_types, log.data)
            for name, convert, value in zip(
                spec.body_names, spec.body_convert, values, strict=True
            ):
                args[name] = convert(value)
        return Event(
            block_number=log.block_number,
            log_index=log.log_index,
            block_hash=log.block_hash,
            tx_hash=log.tx_hash,
            timestamp=timestamp,
            contract=spec.contract,
            name=spec.name,
            args=args,
        )

    def decode_all(self, logs: Iterable[RawLog], timestamps: Mapping[int, int]) -> list[Event]:
        out = []
        for log in logs:
            event = self.decode(log, timestamps[log.block_number])
            if event is not None:
                out.append(event)
        return out
