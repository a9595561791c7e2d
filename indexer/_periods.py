"""Calendar periods as the contracts count them: months since January 1970 grouped by length."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["day_start", "month_index", "period_bounds", "period_of"]


def month_index(timestamp: int) -> int:
    when = datetime.fromtimestamp(timestamp, UTC)
    return (when.year - 1970) * 12 + when.month - 1


def period_of(period_months: int, timestamp: int) -> int:
    """The period index containing ``timestamp`` for periods of ``period_months`` months."""
    return month_index(timestamp) // period_months


def _month_start(month: int) -> int:
    return int(datetime(1970 + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp())


def period_bounds(period_months: int, period: int) -> tuple[int, int]:
    """[start, end) of a period, in UTC seconds."""
    first = period * period_months
    return _month_start(first), _month_start(first + period_months)


def day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
