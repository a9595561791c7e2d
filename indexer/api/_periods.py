"""Day boundaries for report queries (periods themselves come from ``contracts.period_at``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracenet.contracts import iso_utc

__all__ = ["day_start", "iso_time"]


def day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def iso_time(seconds: int) -> str:
    """UTC seconds as ISO-8601 with four-digit years (``2031-01-01T00:00:00Z``,
    ``0001-01-01T00:00:00Z``): ``contracts.iso_utc``."""
    return iso_utc(seconds)
