"""Errors of the ``indexer`` package: one root, subclasses with structured fields.

::

    IndexerError                 root: stable ``code``, ``field`` it is about, ``retryable``
    ├── ChainReadError           the node did not answer as expected (retryable)
    │   └── RangeTooLargeError   eth_getLogs refused the block range: halve it (retryable)
    ├── ReorgTooDeepError        no common ancestor inside the unfinalised window (block)
    ├── MirrorMismatchError      the mirror belongs to another chain or deployment (field)
    ├── ConcurrentWriterError    another indexer moved the checkpoint under us (retryable)
    ├── ValueOutOfRangeError     an on-chain integer does not fit a 64-bit SQL column (field)
    ├── ReportError              a report cannot be built from the request (field)
    │   └── NotFoundError        the shipment, claim, unit… does not exist (field)
    ├── AccessDeniedError        the API key may not read this (field)
    └── SignatureError           a signed report does not verify (field)
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "ChainReadError",
    "ConcurrentWriterError",
    "IndexerError",
    "MirrorMismatchError",
    "NotFoundError",
    "RangeTooLargeError",
    "ReorgTooDeepError",
    "ReportError",
    "SignatureError",
    "ValueOutOfRangeError",
]


class IndexerError(Exception):
    """Root of every error raised by the ``indexer`` package."""

    code: str = "IDX000"
    retryable: bool = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ChainReadError(IndexerError):
    """The node failed or answered something unusable; trying again may help."""

    code = "IDX100"
    retryable = True


class RangeTooLargeError(ChainReadError):
    """The node refused an eth_getLogs range (too many blocks or results, or a timeout)."""

    code = "IDX101"

    def __init__(self, message: str, *, from_block: int, to_block: int) -> None:
        super().__init__(message, field="range")
        self.from_block = from_block
        self.to_block = to_block


class ReorgTooDeepError(IndexerError):
    """The chain diverged below the unfinalised window: rebuild with ``indexer run --reset``."""

    code = "IDX200"

    def __init__(self, message: str, *, block: int) -> None:
        super().__init__(message, field="block")
        self.block = block


class MirrorMismatchError(IndexerError):
    """The database mirrors another chain id or deployment than the one configured."""

    code = "IDX201"


class ConcurrentWriterError(IndexerError):
    """The checkpoint moved under us: another indexer writes to the same database."""

    code = "IDX202"
    retryable = True


class ValueOutOfRangeError(IndexerError):
    """An on-chain integer exceeds the signed 64-bit range of the SQL columns."""

    code = "IDX203"


class ReportError(IndexerError):
    """A report request that cannot be answered (bad period, unknown class…)."""

    code = "IDX300"


class NotFoundError(ReportError):
    """The thing asked about does not exist in the mirror."""

    code = "IDX404"


class AccessDeniedError(IndexerError):
    """The caller's party may not read this (commercially sensitive data)."""

    code = "IDX403"


class SignatureError(IndexerError):
    """A signed report whose signature or content does not verify."""

    code = "IDX400"
