"""Token ids and calendar periods exactly as ``libraries/Tracenet.sol`` computes them on chain.

A token id is ``class << 64 | vintage << 32 | batch``; a vintage is a period index: calendar months
since January 1970, grouped by the class's period length. The tests' model of the rules
(``tests/model.py``) keeps its own copy on purpose: an oracle shares no code with what it checks.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "month_index", "period_at", "period_bounds", "split_token_id", "token_id",
]  # fmt: skip

_U32 = 0xFFFFFFFF


def token_id(class_id: int, vintage: int, batch: int = 0) -> int:
    """The token id of credits of ``class_id`` entered in period ``vintage`` (batch 0 unless
    segregated)."""
    return (class_id << 64) | (vintage << 32) | batch


def split_token_id(tid: int) -> tuple[int, int, int]:
    """(class id, vintage, batch) of a token id."""
    return (tid >> 64) & _U32, (tid >> 32) & _U32, tid & _U32


def month_index(timestamp: int) -> int:
    """Months since January 1970 of a UTC time (``Tracenet.monthIndex``)."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return (when.year - 1970) * 12 + when.month - 1


def period_at(period_months: int, timestamp: int) -> int:
    """The period index containing ``timestamp`` for periods of ``period_months`` months."""
    return month_index(timestamp) // period_months


def period_bounds(period_months: int, period: int) -> tuple[int, int]:
    """[start, end) of a period, in UTC seconds."""
    first = period * period_months
    return _month_start(first), _month_start(first + period_months)


def _month_start(month: int) -> int:
    return int(datetime(1970 + month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp())
