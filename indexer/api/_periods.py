"""Day boundaries for report queries (periods themselves come from ``contracts.period_at``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["day_start", "iso_time"]


def day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def iso_time(seconds: int) -> str:
    """UTC seconds as ISO-8601 (``2031-01-01T00:00:00Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
