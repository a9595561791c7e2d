"""Field types of request bodies: integer grams, 32-byte hashes, short texts, references.

Grams are integers in JSON numbers or decimal strings; a float (``1.0``, ``1e3``), a boolean or
a fractional string is refused with its own error type, and so are zero/negative amounts and
amounts above ``contracts.MAX_QUANTITY_G`` (the ledger's one quantity bound, R13). Texts refuse
control characters (NUL, newlines…: on chain a NUL is indistinguishable from bytes32 padding).
A reference is a registry key or a numeric id below 2^32 (ASCII digits only: ``"²"`` is a name,
never a number). The error types map to stable codes in ``api/_handlers.py``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import IntEnum
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from tracenet.contracts import MAX_QUANTITY_G, Role

__all__ = [
    "MAX_ID",
    "MAX_TOKEN_ID",
    "Bytes32Text",
    "Grams",
    "GramsOrZero",
    "Hash32",
    "Name",
    "OptionalText",
    "Ref",
    "Roles",
    "Text",
    "Timestamp",
    "TokenId",
    "clean_text",
    "enum_by_name",
    "parse_ref",
    "role_names",
]

#: Ids of parties, units, classes, groups, processes, certificates are uint32 on chain.
MAX_ID = 2**32 - 1
#: A token id is ``class << 64 | vintage << 32 | batch``: below 2^96.
MAX_TOKEN_ID = 2**96 - 1
_DIGITS = re.compile(r"-?[0-9]+")
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


def _integer(value: Any, bound: int, kind: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        if len(value.lstrip("-0")) > 40:  # far above any bound; int() of 4,300+ digits raises
            raise PydanticCustomError(
                "quantity_too_large", "must be at most {max} ({kind})", {"max": bound, "kind": kind}
            )
        number = int(value)
    elif isinstance(value, str) and value.lstrip("-").isdigit():
        raise PydanticCustomError(
            "quantity_not_integer", "must be written with the digits 0-9 only"
        )
    else:
        raise PydanticCustomError(
            "quantity_not_integer", "must be an integer number of grams (JSON integer or string)"
        )
    if number > bound:
        raise PydanticCustomError(
            "quantity_too_large",
            "must be at most {max} ({kind})",
            {"max": bound, "kind": kind, "value": number},
        )
    return number


def _positive(value: Any) -> int:
    number = _integer(value, MAX_QUANTITY_G, "MAX_QUANTITY_G, grams")
    if number <= 0:
        raise PydanticCustomError("quantity_not_positive", "must be greater than zero")
    return number


def _not_negative(value: Any) -> int:
    number = _integer(value, MAX_QUANTITY_G, "MAX_QUANTITY_G, grams")
    if number < 0:
        raise PydanticCustomError("quantity_not_positive", "must not be negative")
    return number


def _token(value: Any) -> int:
    try:
        number = _integer(value, MAX_TOKEN_ID, "a token id is below 2^96")
    except PydanticCustomError as exc:
        if exc.type != "quantity_too_large":
            raise
        raise PydanticCustomError("id_invalid", "a token id is below 2^96") from None
    if number <= 0:
        raise PydanticCustomError("quantity_not_positive", "must be greater than zero")
    return number


def _schema(maximum: int, what: str) -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": maximum},
            {"type": "string", "pattern": "^[0-9]{1,29}$"},
        ],
        "description": f"{what}, an integer (JSON integer or decimal string) from 1 to "
        f"{maximum}; floats are refused",
    }


#: A positive integer number of grams, at most ``MAX_QUANTITY_G``.
Grams = Annotated[int, PlainValidator(_positive), WithJsonSchema(_schema(MAX_QUANTITY_G, "grams"))]
#: Like ``Grams`` but zero allowed (a declared physical stock may be empty).
GramsOrZero = Annotated[
    int,
    PlainValidator(_not_negative),
    WithJsonSchema({**_schema(MAX_QUANTITY_G, "grams (0 allowed)"), "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY_G},
        {"type": "string", "pattern": "^[0-9]{1,16}$"},
    ]}),
]  # fmt: skip
#: A token id (class << 64 | vintage << 32 | batch), as an integer or decimal string.
TokenId = Annotated[int, PlainValidator(_token), WithJsonSchema(_schema(MAX_TOKEN_ID, "token id"))]


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


def clean_text(value: Any, *, max_bytes: int, min_chars: int = 1) -> str:
    """``value`` if it is a string of ``min_chars``..``max_bytes`` UTF-8 bytes without control
    characters (Unicode category Cc: NUL, tab, newline, DEL…)."""
    if not isinstance(value, str):
        raise PydanticCustomError("text_invalid", "must be a string")
    if len(value) < min_chars or len(value.encode()) > max_bytes:
        raise PydanticCustomError(
            "text_invalid", "must be {min} to {max} bytes of UTF-8 text",
            {"min": min_chars, "max": max_bytes},
        )  # fmt: skip
    bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise PydanticCustomError(
            "text_control", "must not contain control characters (found U+{code:04X})",
            {"code": ord(bad)},
        )  # fmt: skip
    return value


def _text_schema(max_bytes: int, min_chars: int) -> dict[str, Any]:
    return {"type": "string", "minLength": min_chars, "maxLength": max_bytes,
            "pattern": r"^[^\x00-\x1f\x7f]*$"}  # fmt: skip


def _text32(value: Any) -> bytes:
    return clean_text(value, max_bytes=32).encode().ljust(32, b"\0")


#: A short text stored as bytes32 (order reference, product code, purpose).
Bytes32Text = Annotated[
    bytes,
    PlainValidator(_text32),
    WithJsonSchema(_text_schema(32, 1)),
]


#: A name (party, unit, class, certificate number…): 1 to 100 bytes, no control characters.
Name = Annotated[
    str,
    PlainValidator(lambda v: clean_text(v, max_bytes=100)),
    WithJsonSchema(_text_schema(100, 1)),
]
#: A longer text (a claim's beneficiary): 1 to 200 bytes, no control characters.
Text = Annotated[
    str,
    PlainValidator(lambda v: clean_text(v, max_bytes=200)),
    WithJsonSchema(_text_schema(200, 1)),
]
#: Like ``Text`` but may be empty (a unit's location).
OptionalText = Annotated[
    str,
    PlainValidator(lambda v: clean_text(v, max_bytes=200, min_chars=0)),
    WithJsonSchema(_text_schema(200, 0)),
]


def parse_ref(value: Any) -> int | str:
    """An id (integer, or a string of ASCII digits) from 0 to 2^32 − 1, or a registry key."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > 10:
            raise PydanticCustomError("id_invalid", "an id is below 2^32")
        number = int(value)
    elif isinstance(value, str):
        return clean_text(value, max_bytes=100)  # as long as a name: a certificate number
    else:
        raise PydanticCustomError("id_invalid", "must be an id (integer) or a registry key")
    if not 0 <= number <= MAX_ID:
        raise PydanticCustomError("id_invalid", "an id is from 0 to 2^32 − 1")
    return number


#: A unit, party, class… by id (integer, or digits) or by registry key.
Ref = Annotated[
    int | str,
    PlainValidator(parse_ref),
    WithJsonSchema({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_ID},
        {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[^\x00-\x1f\x7f]*$"},
    ], "description": "a registry key (e.g. `recycling-plant`) or a numeric id"}),
]  # fmt: skip


def _timestamp(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError(
                "datetime_invalid", "must be ISO-8601 (2027-03-31 or 2027-03-31T12:00:00Z)"
            ) from None
        seconds = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    else:
        raise PydanticCustomError(
            "datetime_invalid", "must be ISO-8601 (2027-03-31T12:00:00Z) or unix seconds"
        )
    if not 0 <= seconds < 2**64:
        raise PydanticCustomError("datetime_invalid", "must be from 1970 on")
    return seconds


#: An instant: ISO-8601 in UTC (``2027-03-31``, ``2027-03-31T12:00:00Z``), or unix seconds as
#: an alternative input; kept as unix seconds (the chain's ``uint64``).
Timestamp = Annotated[
    int,
    PlainValidator(_timestamp),
    WithJsonSchema({"oneOf": [
        {"type": "string", "format": "date-time"}, {"type": "string", "format": "date"},
        {"type": "integer", "minimum": 0, "maximum": 2**64 - 1},
    ], "description": "ISO-8601 in UTC, or unix seconds"}),
]  # fmt: skip


def enum_by_name(enum: type[IntEnum]) -> Any:
    """A field naming a member of ``enum`` (``mass_balance``; ``bio-circular`` for
    ``bio_circular``); its integer code is accepted too. Stored and answered by name."""
    names = [str(m.name) for m in enum]

    def parse(value: Any) -> int:
        if isinstance(value, str) and value.replace("-", "_") in names:
            return int(enum[value.replace("-", "_")])
        if isinstance(value, int) and not isinstance(value, bool) and value in set(enum):
            return int(value)
        raise PydanticCustomError(
            "enum_invalid", "must be one of {names}", {"names": ", ".join(names)}
        )

    return Annotated[
        int,
        PlainValidator(parse),
        PlainSerializer(lambda v: enum(v).name, return_type=str),
        WithJsonSchema({"type": "string", "enum": names}),
    ]


def _roles(value: Any) -> int:
    names = [str(m.name) for m in Role]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        unknown = [v for v in value if v not in names]
        if not unknown:
            mask = 0
            for v in value:
                mask |= int(Role[v])
            return mask
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 31:
        return value
    raise PydanticCustomError(
        "enum_invalid", "must be a list of roles among {names}", {"names": ", ".join(names)}
    )


def role_names(mask: int) -> list[str]:
    """The roles of a bit mask by name (``["member", "origin"]``)."""
    return [str(m.name) for m in Role if mask & m]


#: A party's roles by name (``["member", "origin"]``); the bit mask is accepted too. Stored and
#: answered by name.
Roles = Annotated[
    int,
    PlainValidator(_roles),
    PlainSerializer(role_names, return_type=list[str]),
    WithJsonSchema({"type": "array", "uniqueItems": True,
                    "items": {"type": "string", "enum": [str(m.name) for m in Role]}}),
]  # fmt: skip
