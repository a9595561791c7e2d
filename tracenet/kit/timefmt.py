"""The one ISO-8601 formatter for instants and days at the edges (JSON, pages, documents).

``strftime("%Y")`` does not pad years before 1000 on every platform (glibc prints ``1`` for the
year 1), which is not ISO-8601; these always write four digits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["iso_date", "iso_time"]


def iso_time(seconds: int | float) -> str:
    """UTC seconds since the epoch as an ISO-8601 instant: ``2027-03-31T23:59:59Z``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def iso_date(day: date | datetime | int | float) -> str:
    """A day (or the UTC day of an instant in seconds) as ISO-8601: ``2027-03-31``."""
    if isinstance(day, int | float):
        day = datetime.fromtimestamp(day, UTC)
    return f"{day.year:04d}-{day:%m-%d}"
