"""The base classes of the generated ledger records (``contracts.records``).

Every record is a frozen dataclass whose fields are the ABI's, in ABI order, in snake case; the
class variable ``FIELDS`` keeps each field's ABI name and type so that one generic piece of code
converts between records and what eth-abi / web3 read and write:

* ``StructRecord``  a Solidity struct, or the named outputs of one view (``ClassInfo``, ``PartyOf``)
* ``EventRecord``   an event of the ledger's contracts (``Shipped``), see ``contracts.decode_log``
* ``Operation``     a transaction's request builder (``Ship``): ``args()`` for web3, ``encode()``
* ``Query``         a view's request builder (``ClassInfoQuery``): ``encode()``, ``decode_result()``

Values are Python's: integers, ``bool``, ``bytes`` (``bytes32``), checksummed address ``str``,
tuples for arrays, records for structs, and the enums of ``contracts._vocab`` for roles, models,
attribution methods and lapse reasons. ``to_args()`` gives the JSON form keyed by ABI name.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum, IntFlag
from typing import Any, ClassVar, NamedTuple, Self

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address

__all__ = [
    "Call", "EventRecord", "Field", "Operation", "Query", "Record", "StructRecord", "checksum"
]  # fmt: skip


class Field(NamedTuple):
    """One ABI parameter: its ABI name, type (``tuple``/``tuple[]`` for structs), whether it is
    an indexed event topic, and the record or enum class its value is wrapped in."""

    name: str
    abi_type: str
    indexed: bool = False
    wrap: type[Any] | None = None

    def canonical(self) -> str:
        """The type as eth-abi spells it (a struct as ``(uint32,string)``)."""
        if self.wrap is not None and issubclass(self.wrap, StructRecord):
            return self.wrap.abi_tuple() + self.abi_type.removeprefix("tuple")
        return self.abi_type

    def from_abi(self, value: Any) -> Any:
        """The record value of what eth-abi (or web3) decoded for this field."""
        return _from_abi(self.abi_type, self.wrap, value)

    def to_abi(self, value: Any) -> Any:
        """What eth-abi encodes for this field's record value."""
        if isinstance(value, Record):
            return value.to_abi()
        if isinstance(value, tuple | list):
            return [v.to_abi() if isinstance(v, Record) else _plain(v) for v in value]
        return _plain(value)


class Record:
    """A generated record: a frozen dataclass with ``FIELDS`` in ABI order."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[Field, ...]] = ()

    @classmethod
    def from_abi(cls, values: Sequence[Any]) -> Self:
        """The record of values in ABI order, as eth-abi or web3 decoded them."""
        return cls(*(f.from_abi(v) for f, v in zip(cls.FIELDS, values, strict=True)))

    def to_abi(self) -> tuple[Any, ...]:
        """The values in ABI order, as eth-abi and web3 take them (structs as tuples)."""
        return tuple(f.to_abi(getattr(self, n)) for f, n in _layout(type(self)))

    def to_args(self) -> dict[str, Any]:
        """JSON-ready values by ABI name: bytes as ``0x`` hex, structs as dicts, arrays as lists,
        enums as their integer code (the ABI's), integers unchanged."""
        return _to_args_of(type(self))(self)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Self:
        """The record of its ``to_args()`` form (a stored event's JSON: the indexer's archive),
        so that what was kept as JSON comes back as the one typed record."""
        return _from_args_of(cls)(args)  # type: ignore[return-value]

    @staticmethod
    def json(value: Any) -> Any:
        """The JSON-ready form of any record value (see ``to_args``)."""
        return _json(value)


class StructRecord(Record):
    """A Solidity struct, or the several named outputs of one view."""

    __slots__ = ()

    @classmethod
    def abi_tuple(cls) -> str:
        return "(" + ",".join(f.canonical() for f in cls.FIELDS) + ")"


class EventRecord(Record):
    """An event of one of the ledger's contracts; ``TOPIC`` is its first log topic."""

    __slots__ = ()
    CONTRACT: ClassVar[str]
    NAME: ClassVar[str]
    TOPIC: ClassVar[bytes]


class Call(Record):
    """A call of one contract function, with its arguments by name."""

    __slots__ = ()
    CONTRACT: ClassVar[str]
    FUNCTION: ClassVar[str]
    SELECTOR: ClassVar[bytes]
    #: True when the function takes one struct whose fields are this record's (``ship(r)``).
    FLAT_STRUCT: ClassVar[bool] = False
    OUTPUTS: ClassVar[tuple[Field, ...]] = ()
    #: The record of several named outputs (``PartyOf``); None for one output or none.
    RESULT: ClassVar[type[StructRecord] | None] = None

    def args(self) -> tuple[Any, ...]:
        """Positional arguments for ``contract.functions.<FUNCTION>(*args)``."""
        values = self.to_abi()
        return (values,) if self.FLAT_STRUCT else values

    def encode(self) -> bytes:
        """The calldata: selector and ABI-encoded arguments."""
        types = _input_types(type(self))
        return self.SELECTOR + encode(types, list(self.args()))

    @classmethod
    def decode_result(cls, data: bytes) -> Any:
        """The function's return data as a record (several outputs), a record (one struct), a
        tuple of records (a struct array) or a plain value."""
        types = [f.canonical() for f in cls.OUTPUTS]
        values = decode(types, data)
        return cls.result_from_abi(values)

    @classmethod
    def result_from_abi(cls, values: Sequence[Any]) -> Any:
        """The same from the decoded output values (web3's ``call()`` of several outputs is a
        list; pass ``[value]`` for a single one)."""
        if cls.RESULT is not None:
            return cls.RESULT.from_abi(values)
        if not cls.OUTPUTS:
            return None
        (output,) = cls.OUTPUTS
        return output.from_abi(values[0])


class Operation(Call):
    """A state-changing function: the request a signer sends."""

    __slots__ = ()


class Query(Call):
    """A view: the request an ``eth_call`` reads."""

    __slots__ = ()


_LAYOUTS: dict[type[Record], tuple[tuple[Field, str], ...]] = {}
_JSON_LAYOUTS: dict[type[Record], tuple[tuple[str, Any], ...]] = {}
_INPUT_TYPES: dict[type[Call], list[str]] = {}
_TO_ARGS: dict[type[Record], Callable[[Record], dict[str, Any]]] = {}
_FROM_ARGS: dict[type[Record], Callable[[Mapping[str, Any]], Record]] = {}


def _layout(cls: type[Record]) -> tuple[tuple[Field, str], ...]:
    """Each ABI field with the name of its dataclass attribute (cached per class)."""
    if (layout := _LAYOUTS.get(cls)) is None:
        names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        layout = _LAYOUTS[cls] = tuple(zip(cls.FIELDS, names, strict=True))
    return layout


def _json_layout(cls: type[Record]) -> tuple[tuple[str, Any], ...]:
    """Each field's ABI name and its JSON converter (None where the value is JSON already)."""
    if (layout := _JSON_LAYOUTS.get(cls)) is None:
        layout = _JSON_LAYOUTS[cls] = tuple((f.name, _json_converter(f)) for f in cls.FIELDS)
    return layout


def _to_args_of(cls: type[Record]) -> Callable[[Record], dict[str, Any]]:
    """``to_args`` of one class as one generated function (cached): a dict display of the
    fields, each converted only where its type needs it. The indexer's follower calls it for
    every event it archives, so it costs what a hand-written converter would."""
    if (convert := _TO_ARGS.get(cls)) is None:
        env: dict[str, Any] = {}
        items = []
        for i, ((name, to_json), (field, attr)) in enumerate(
            zip(_json_layout(cls), _layout(cls), strict=True)
        ):
            value = f"r.{attr}"
            if to_json is None:
                items.append(f"{name!r}: {value}")
            elif _plain_array(field):
                items.append(f"{name!r}: list({value})")
            else:
                env[f"c{i}"] = to_json
                items.append(f"{name!r}: c{i}({value})")
        exec(f"def to_args(r):\n    return {{{', '.join(items)}}}", env)
        convert = _TO_ARGS[cls] = env["to_args"]
    return convert


def _from_args_of(cls: type[Record]) -> Callable[[Mapping[str, Any]], Record]:
    """``from_args`` of one class as one generated function (cached), as ``_to_args_of``."""
    if (build := _FROM_ARGS.get(cls)) is None:
        env: dict[str, Any] = {"cls": cls, "_from_json": _from_json, "_bytes": bytes.fromhex}
        values = []
        for i, field in enumerate(cls.FIELDS):
            value, kind, wrap = f"a[{field.name!r}]", field.abi_type, field.wrap
            if _plain_array(field):
                values.append(f"tuple({value})")
            elif kind.endswith("]") or (wrap is not None and issubclass(wrap, Record)):
                env[f"f{i}"] = field
                values.append(f"_from_json(f{i}.abi_type, f{i}.wrap, {value})")
            elif wrap is not None:
                env[f"w{i}"] = wrap
                values.append(f"w{i}({value})")
            elif kind.startswith("bytes"):
                values.append(f"_bytes({value}[2:])")
            else:
                values.append(value)
        exec(f"def from_args(a):\n    return cls({', '.join(values)})", env)
        build = _FROM_ARGS[cls] = env["from_args"]
    return build


def _plain_array(field: Field) -> bool:
    """An array whose items are JSON as they are (integers, addresses, strings, booleans)."""
    kind = field.abi_type
    return kind.endswith("]") and field.wrap is None and not kind.startswith("bytes")


def _json_converter(field: Field) -> Any:
    kind, wrap = field.abi_type, field.wrap
    if kind.endswith("]"):
        return _json
    if wrap is not None:
        return _json if issubclass(wrap, Record) else int
    if kind.startswith("bytes"):
        return _hex
    return None  # integers, bool, string, checksummed address


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _input_types(cls: type[Call]) -> list[str]:
    if (types := _INPUT_TYPES.get(cls)) is None:
        inner = [f.canonical() for f in cls.FIELDS]
        types = _INPUT_TYPES[cls] = ["(" + ",".join(inner) + ")"] if cls.FLAT_STRUCT else inner
    return types


@functools.lru_cache(maxsize=65_536)
def checksum(raw: bytes | str) -> str:
    """A checksummed address (cached: the same few addresses recur in every log)."""
    return to_checksum_address(raw)


def _from_abi(abi_type: str, wrap: type[Any] | None, value: Any) -> Any:
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return tuple(_from_abi(inner, wrap, v) for v in value)
    if wrap is not None:
        return wrap.from_abi(value) if issubclass(wrap, Record) else wrap(value)
    if abi_type == "address":
        return checksum(value)
    if abi_type.startswith("bytes"):
        return bytes(value)
    return value


def _from_json(abi_type: str, wrap: type[Any] | None, value: Any) -> Any:
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return tuple(_from_json(inner, wrap, v) for v in value)
    if wrap is not None:
        return wrap.from_args(value) if issubclass(wrap, Record) else wrap(value)
    if abi_type.startswith("bytes"):
        return bytes.fromhex(value[2:])
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, IntFlag | IntEnum):
        return int(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_args()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, IntFlag | IntEnum):
        return int(value)
    return value
