"""A record's JSON form (``to_args``, keyed by ABI name) and its way back (``from_args``): the
indexer archives every event as that JSON and reads it back as the record, so both must hold for
every record class, with values of every ABI type at their edges."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracenet.contracts import Field, Record, records
from tracenet.contracts._record import checksum

CLASSES = [*records.EVENTS, *records.STRUCTS]


def _value(field: Field, data: st.DataObject) -> Any:
    kind, wrap = field.abi_type, field.wrap
    if kind.endswith("]"):
        inner = field._replace(abi_type=kind[: kind.rindex("[")])
        return tuple(_value(inner, data) for _ in range(data.draw(st.integers(0, 3))))
    if wrap is not None and issubclass(wrap, Record):
        return _record(wrap, data)
    if wrap is not None:
        return data.draw(st.sampled_from(list(wrap)))
    if kind.startswith("uint"):
        return data.draw(st.integers(0, 2 ** int(kind[4:]) - 1))
    if kind.startswith("int"):
        bits = int(kind[3:])
        return data.draw(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))
    if kind.startswith("bytes"):
        return data.draw(st.binary(min_size=int(kind[5:]), max_size=int(kind[5:])))
    if kind == "address":
        return checksum(data.draw(st.binary(min_size=20, max_size=20)))
    if kind == "bool":
        return data.draw(st.booleans())
    assert kind == "string", kind
    return data.draw(st.text(max_size=8))


def _record(cls: type[Record], data: st.DataObject) -> Any:
    return cls(*(_value(f, data) for f in cls.FIELDS))


def _json(value: Any) -> Any:
    """The JSON form spelled out independently: bytes as 0x hex, enums as integers."""
    if isinstance(value, Record):
        return {
            f.name: _json(getattr(value, a))
            for f, a in zip(value.FIELDS, _attrs(value), strict=True)
        }
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, bool | str):
        return value
    return int(value)


def _attrs(record: Record) -> list[str]:
    return [f.name for f in dataclasses.fields(record)]  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_a_record_survives_its_json(cls: type[Record], data: st.DataObject) -> None:
    record = _record(cls, data)
    args = record.to_args()
    assert args == _json(record)
    assert list(args) == [f.name for f in cls.FIELDS]
    back = cls.from_args(args)
    assert back == record and type(back) is cls
