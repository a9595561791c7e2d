"""Decoded chain values as JSON: bytes as 0x-hex, integers beyond 2**53 as decimal strings.

JavaScript clients lose precision above 2**53 (token ids, large gram amounts), so those travel
as strings; smaller integers stay numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["jsonable"]

_SAFE = 2**53


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -_SAFE < value < _SAFE else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)
