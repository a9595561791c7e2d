"""The kit's one quantity rule (tracenet/kit/quantity.py): people's quantities to exact grams,
and grams back to t or kg without losing one gram."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracenet.kit.quantity import QuantityError, format_grams, parse_grams


@pytest.mark.parametrize(
    ("text", "grams"),
    [
        ("6 t", 6_000_000),
        ("3t", 3_000_000),
        ("12.5 kg", 12_500),
        ("250 000 g", 250_000),
        ("1\u00a0000 kg", 1_000_000),
        (" 7 T ", 7_000_000),
        ("0.1 t", 100_000),
    ],
)
def test_quantities_as_people_write_them_are_exact_grams(text: str, grams: int) -> None:
    assert parse_grams(text) == grams


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.0005 kg", "fractional"),
        ("0.5 g", "fractional"),
        ("0 kg", "not_positive"),
        ("-3 t", "not_positive"),
        ("6", "unit"),
        ("6 lb", "unit"),
        ("1,5 t", "invalid"),
        ("25 00 g", "invalid"),
        ("1e3 kg", "invalid"),
        ("six t", "invalid"),
    ],
)
def test_what_is_not_a_whole_positive_quantity_is_refused_naming_the_field(
    text: str, reason: str
) -> None:
    with pytest.raises(QuantityError) as info:
        parse_grams(text, field="amount")
    assert (info.value.reason, info.value.field) == (reason, "amount")


def test_the_limit_and_zero_are_the_callers() -> None:
    assert parse_grams("0 g", allow_zero=True) == 0
    with pytest.raises(QuantityError) as info:
        parse_grams("2 t", max_g=1_000_000)
    assert info.value.reason == "too_large" and "1 t" in info.value.message
    assert parse_grams("6000", default_unit="kg") == 6_000_000


@pytest.mark.parametrize(
    ("grams", "text"),
    [(6_000_000, "6 t"), (12_500, "12.5 kg"), (250, "250 g"), (1_000_001, "1.000001 t"),
     (4_285_000, "4.285 t"), (2_000_000_000, "2 000 t"), (999, "999 g")],
)  # fmt: skip
def test_grams_read_back_in_t_or_kg(grams: int, text: str) -> None:
    assert format_grams(grams) == text


@given(st.integers(min_value=1, max_value=10**18))
def test_what_is_shown_parses_back_to_the_same_grams(grams: int) -> None:
    shown = format_grams(grams)
    assert parse_grams(shown) == grams
    number, unit = shown.rsplit(" ", 1)
    assert Decimal(number.replace(" ", "")) * {"g": 1, "kg": 1000, "t": 10**6}[unit] == grams
