"""Cells to values: quantities with their unit to integer grams (exactly), hashes, texts, dates.

Quantities are decimals with a unit — ``6 t``, ``6000 kg``, ``12.5 kg``, ``250 000 g`` (thousands
grouped by a space); ``1 234,5 kg`` is NOT accepted (one decimal separator, the point) — the
kit's rule (``tracenet.kit.quantity``, the console's forms use it too), converted with
``Decimal`` so that ``0.1 t`` is exactly 100 000 g; a quantity that is not a whole number of
grams, zero, negative or above ``contracts.MAX_QUANTITY_G`` is refused with its own code.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime

from tracenet.contracts import MAX_QUANTITY_G
from tracenet.erp.errors import RowError
from tracenet.kit import quantity

__all__ = ["UNITS", "parse_date", "parse_grams", "parse_hash", "parse_int", "parse_text32"]

#: grams per unit
UNITS = quantity.UNITS

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")

# Codes of the column rules (erp/COLUMNS.md lists them).
QUANTITY_INVALID = "TN-IMP-4221"
QUANTITY_FRACTIONAL = "TN-IMP-4222"
QUANTITY_NOT_POSITIVE = "TN-IMP-4223"
QUANTITY_TOO_LARGE = "TN-IMP-4224"
UNIT_UNKNOWN = "TN-IMP-4225"
VALUE_MISSING = "TN-IMP-4226"
TEXT_TOO_LONG = "TN-IMP-4227"
DATE_INVALID = "TN-IMP-4228"
NUMBER_INVALID = "TN-IMP-4229"

_CODE_OF = {
    "invalid": QUANTITY_INVALID, "fractional": QUANTITY_FRACTIONAL,
    "not_positive": QUANTITY_NOT_POSITIVE, "too_large": QUANTITY_TOO_LARGE, "unit": UNIT_UNKNOWN,
}  # fmt: skip


def parse_grams(text: str, column: str, default_unit: str | None = None) -> int:
    """``text`` (``"6 t"``, ``"12.5 kg"``, or a bare number with ``default_unit``) in grams: the
    kit's one rule (``tracenet.kit.quantity``), each refusal with its column code."""
    try:
        return quantity.parse_grams(
            text, field=column, default_unit=default_unit, max_g=MAX_QUANTITY_G
        )
    except quantity.QuantityError as exc:
        raise RowError(exc.message, field=column, code=_CODE_OF[exc.reason]) from None


def parse_hash(text: str, column: str) -> str:
    """A document or evidence hash: ``0x`` + 64 hex digits as given, or the SHA-256 of any other
    text (an ERP's document number, ``DN-2027-00042``), so one document always maps to one hash."""
    value = text.strip()
    if not value:
        raise RowError("a document hash or reference is required", field=column, code=VALUE_MISSING)
    if _HEX32.fullmatch(value):
        return value.lower()
    return "0x" + hashlib.sha256(value.encode()).hexdigest()


def parse_text32(text: str, column: str) -> str:
    value = text.strip()
    if not value:
        raise RowError("a value is required", field=column, code=VALUE_MISSING)
    if len(value.encode()) > 32:
        raise RowError(
            f"{value!r} is longer than 32 bytes of UTF-8", field=column, code=TEXT_TOO_LONG
        )
    return value


def parse_int(text: str, column: str) -> int:
    value = text.strip()
    if not value.isdigit():
        raise RowError(f"{value!r} is not a whole number", field=column, code=NUMBER_INVALID)
    return int(value)


def parse_date(text: str, column: str) -> str:
    """An ISO-8601 date or UTC date-time (``2027-03-31``, ``2027-03-31T12:00:00Z``), normalised."""
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowError(
            f"{value!r} is not an ISO-8601 date (2027-03-31 or 2027-03-31T12:00:00Z)",
            field=column,
            code=DATE_INVALID,
        ) from exc
    if moment.utcoffset() is None:
        raise RowError(
            f"{value!r} has no time zone (add Z for UTC)", field=column, code=DATE_INVALID
        )
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
