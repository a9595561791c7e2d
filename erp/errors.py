"""Errors of the ``erp`` package (bulk import).

::

    ErpError                    root: code, field, retryable
    ├── FileError               the file, its header or the mapping file cannot be used
    ├── RowError                one cell breaks a documented column rule (code TN-IMP-422x)
    └── GatewayUnavailable      the gateway did not answer or refused the key (retry may help)

A ``RowError`` is data: ``--check`` collects them into the error report (row, column, code,
message) instead of stopping.
"""

from __future__ import annotations

from tracenet.kit.errors import TracenetError

__all__ = ["ErpError", "FileError", "GatewayUnavailable", "RowError"]


class ErpError(TracenetError):
    """Root of every import error."""

    code = "TN-IMP-4000"
    retryable = False

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class FileError(ErpError):
    code = "TN-IMP-4001"


class RowError(ErpError):
    """A cell that breaks a column rule; ``field`` is the documented column name."""

    code = "TN-IMP-4220"


class GatewayUnavailable(ErpError):
    code = "TN-IMP-5031"
    retryable = True
