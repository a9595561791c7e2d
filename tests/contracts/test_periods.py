"""Period labels and references, and ISO-8601 times (issue 26): a label means what it reads
(``2027`` the year), a period index has its own syntax (``index:228``), years below 1000 keep
four digits."""

from __future__ import annotations

import pytest

from tracenet.contracts import (
    PERIOD_MONTHS,
    parse_period_label,
    parse_period_ref,
    period_label,
)
from tracenet.kit import iso_time


@pytest.mark.parametrize("months", PERIOD_MONTHS)
def test_every_label_and_index_names_the_same_period(months: int) -> None:
    for index in (0, 1, 684 // months, (8029 * 12) // months):
        label = period_label(months, index)
        assert parse_period_label(months, label) == index
        assert parse_period_ref(months, label) == index
        assert parse_period_ref(months, f"index:{index}") == index


def test_bare_digits_are_a_year_never_an_index() -> None:
    assert parse_period_ref(12, "2027") == 57
    assert period_label(12, parse_period_ref(12, "2027")) == "2027"
    with pytest.raises(ValueError, match="index:<n>") as quarterly:
        parse_period_ref(3, "2027")
    assert "'2027-Q1'" in str(quarterly.value)
    for not_a_year in ("228", "20270", "0", "-1"):
        with pytest.raises(ValueError):
            parse_period_ref(12, not_a_year)


@pytest.mark.parametrize("bad", ["index:", "index:-1", "index:x", f"index:{2**32}", "Index:1"])
def test_a_malformed_index_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_period_ref(3, bad)


@pytest.mark.parametrize(
    ("seconds", "iso"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_924_991_999, "2030-12-31T23:59:59Z"),
        (-62_135_596_800, "0001-01-01T00:00:00Z"),
        (-59_042_995_200, "0099-01-01T00:00:00Z"),
        (253_402_214_400, "9999-12-31T00:00:00Z"),
    ],
)
def test_iso_times_keep_four_digit_years(seconds: int, iso: str) -> None:
    assert iso_time(seconds) == iso
