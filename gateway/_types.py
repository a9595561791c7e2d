"""Field types of request bodies: integer grams, 32-byte hashes, short texts, references.

Grams are integers in JSON numbers or decimal strings; a float (``1.0``, ``1e3``), a boolean or
a fractional string is refused with its own error type, and so are zero/negative amounts and
amounts beyond ``uint256``. The error types map to stable codes in ``main.py``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import PlainValidator, StrictInt, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = ["UINT256_MAX", "Bytes32Text", "Grams", "GramsOrZero", "Hash32", "Ref", "TokenId"]

UINT256_MAX = 2**256 - 1
_DIGITS = re.compile(r"-?[0-9]{1,100}")
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise PydanticCustomError(
            "quantity_not_integer", "must be an integer number of grams (JSON integer or string)"
        )
    if number > UINT256_MAX:
        raise PydanticCustomError("quantity_overflow", "exceeds the uint256 range")
    return number


def _positive(value: Any) -> int:
    number = _integer(value)
    if number <= 0:
        raise PydanticCustomError("quantity_not_positive", "must be greater than zero")
    return number


def _not_negative(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise PydanticCustomError("quantity_not_positive", "must not be negative")
    return number


_GRAMS_SCHEMA = {
    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
    "description": "grams, an integer (JSON integer or decimal string); floats are refused",
}

#: A positive integer number of grams below 2**256.
Grams = Annotated[int, PlainValidator(_positive), WithJsonSchema(_GRAMS_SCHEMA)]
#: Like ``Grams`` but zero allowed (a declared physical stock may be empty).
GramsOrZero = Annotated[int, PlainValidator(_not_negative), WithJsonSchema(_GRAMS_SCHEMA)]
#: A token id (class << 64 | vintage << 32 | batch), as an integer or decimal string.
TokenId = Annotated[int, PlainValidator(_positive), WithJsonSchema(_GRAMS_SCHEMA)]


def _hash32(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise PydanticCustomError("hash_invalid", "must be 0x followed by 64 hex digits")
    raw = bytes.fromhex(value[2:])
    if raw == bytes(32):
        raise PydanticCustomError("hash_invalid", "must not be all zeros")
    return raw


#: A non-zero 32-byte hash as 0x-hex (document, evidence).
Hash32 = Annotated[
    bytes,
    PlainValidator(_hash32),
    WithJsonSchema({"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}),
]


def _text32(value: Any) -> bytes:
    if not isinstance(value, str) or not value or len(value.encode()) > 32:
        raise PydanticCustomError("text_invalid", "must be 1 to 32 bytes of UTF-8 text")
    return value.encode().ljust(32, b"\0")


#: A short text stored as bytes32 (order reference, product code, purpose).
Bytes32Text = Annotated[
    bytes,
    PlainValidator(_text32),
    WithJsonSchema({"type": "string", "maxLength": 32}),
]

#: A unit, party, class… by id (integer) or by registry name.
Ref = StrictInt | Annotated[str, StringConstraints(min_length=1, max_length=64)]
