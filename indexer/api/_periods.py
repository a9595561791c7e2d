"""Day boundaries for report queries (periods themselves come from ``contracts.period_at``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["day_start"]


def day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
