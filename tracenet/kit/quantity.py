"""Quantities as people write them, to integer grams and back: one rule for every edge.

``6 t``, ``3t``, ``12.5 kg``, ``250 000 g`` (digits grouped by threes with a space, a no-break
space or a thin space), ``7 T``: a decimal with the point as its only separator and a unit
``g``, ``kg`` or ``t``, converted with ``Decimal`` so that ``0.1 t`` is exactly 100 000 g.
Refused, each with its own ``reason``: not a quantity (``1,5 t``, ``1e3 kg``, ``six t``), no or
an unknown unit, not a whole number of grams (``1.0005 kg``), zero or less, above the caller's
limit. The ERP import (``erp/_cells.py``) and the console's forms both use it; the reasons map
to their own codes there.

Back to people: ``format_grams(6_000_000)`` is ``6 t``, ``12_500`` is ``12.5 kg``, ``250`` is
``250 g`` — exact, never rounded (``1 000 001 g`` stays ``1 000.001 kg``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from tracenet.kit.errors import TracenetError

__all__ = ["UNITS", "QuantityError", "format_grams", "parse_grams"]

#: grams per unit
UNITS = {"g": 1, "kg": 1_000, "t": 1_000_000}

_GROUPED = r"[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+"
_QUANTITY = re.compile(
    rf"\s*([+-]?(?:{_GROUPED}|[0-9]+)(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", re.UNICODE
)


class QuantityError(TracenetError, ValueError):
    """A quantity a person typed breaks the rule; ``reason`` is one of ``invalid``,
    ``unit``, ``fractional``, ``not_positive``, ``too_large``; ``field`` the input at fault."""

    code = "TN-KIT-4221"

    def __init__(self, message: str, *, reason: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.field = field


def parse_grams(
    text: str,
    *,
    field: str | None = None,
    default_unit: str | None = None,
    max_g: int | None = None,
    allow_zero: bool = False,
) -> int:
    """``text`` (``"6 t"``, ``"12.5 kg"``, ``"250 000 g"``; a bare number only with
    ``default_unit``) in whole grams; ``QuantityError`` naming ``field`` otherwise."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise QuantityError(
            f"“{text.strip()}” is not a quantity like 6 t, 12.5 kg or 250 000 g",
            reason="invalid", field=field,
        )  # fmt: skip
    number = re.sub(r"[ \u00a0\u202f]", "", match.group(1))
    unit = match.group(2).lower() or (default_unit or "").lower()
    if not unit:
        raise QuantityError(
            f"“{text.strip()}” has no unit: write g, kg or t after the number",
            reason="unit", field=field,
        )  # fmt: skip
    if unit not in UNITS:
        raise QuantityError(
            f"“{unit}” is not a unit here: write g, kg or t", reason="unit", field=field
        )
    try:
        grams = Decimal(number) * UNITS[unit]
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        what = f"“{text.strip()}” is not a number"
        raise QuantityError(what, reason="invalid", field=field) from exc
    if grams != grams.to_integral_value():
        raise QuantityError(
            f"“{text.strip()}” is {grams.normalize():f} g: a quantity must be a whole number "
            "of grams",
            reason="fractional", field=field,
        )  # fmt: skip
    if grams < 0 or (grams == 0 and not allow_zero):
        above = "zero or more" if allow_zero else "above zero"
        raise QuantityError(f"“{text.strip()}” must be {above}", reason="not_positive", field=field)
    if max_g is not None and grams > max_g:
        raise QuantityError(
            f"“{text.strip()}” is more than the largest quantity, {format_grams(max_g)}",
            reason="too_large", field=field,
        )  # fmt: skip
    return int(grams)


def _grouped(number: Decimal) -> str:
    whole, _, frac = f"{number:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + " ".join([whole, *groups])
    return f"{text}.{frac}" if frac else text


def format_grams(grams: int) -> str:
    """``grams`` as a person reads it: in t from 1 t, in kg from 1 kg, else in g; exact."""
    value = int(grams)
    for unit in ("t", "kg"):
        if abs(value) >= UNITS[unit]:
            number = Decimal(value) / UNITS[unit]
            return f"{_grouped(number.normalize() if number % 1 else number.quantize(1))} {unit}"
    return f"{_grouped(Decimal(value))} g"
