"""Errors of the ``indexer`` package, and the ONE table of stable error codes it answers with.

::

    IndexerError                 root: code, status, error (stable name), field, args, retryable
    ├── ChainReadError           the node did not answer as expected (retryable)
    │   └── RangeTooLargeError   eth_getLogs refused the block range: halve it (retryable)
    ├── ReorgTooDeepError        no common ancestor inside the unfinalised window (block)
    ├── MirrorMismatchError      the mirror belongs to another chain or deployment (field)
    ├── ConcurrentWriterError    another indexer moved the checkpoint under us (retryable)
    ├── LineageWarmingError      503: the lineage book is still being built (retryable)
    ├── MirrorStoppedError       503: the follower stopped; this route needs the head
    ├── MirrorNotReadyError      503: the follower has mirrored no block yet; retry
    ├── ValueOutOfRangeError     a decoded integer is no uint256 (a corrupt log) (field)
    ├── ReportError              422: a report cannot be built from the request (field)
    │   ├── DocumentError        413 / 422: an uploaded SD too large, too complex, unreadable
    │   └── NotFoundError        404: the shipment, claim, unit… does not exist (field)
    ├── AccessDeniedError        401 / 403: no key, or the key may not read this (field)
    ├── DeclarationRefusedError  409: no SD — a custody scheme's party held no certificate
    └── SignatureError           a signed report does not verify, or its signer is no auditor

Every error carries a row of ``CODES``: ``code`` (``TN-IX-<status>-<nn>``), the HTTP ``status``,
the stable ``error`` name, whether a retry can help. The API answers every error with the body
``{"code", "error", "field", "message", "args"}`` (the gateway's); ``indexer/ERRORS.md`` is
generated from the table (``tracenet indexer errors > indexer/ERRORS.md``) and a test keeps it
current. A code never changes meaning; new cases get new codes.
"""

from __future__ import annotations

from typing import Any

from tracenet.kit import errors as kit
from tracenet.kit.errors import ErrorCode, TracenetError

__all__ = [
    "CODES",
    "AccessDeniedError",
    "ChainReadError",
    "ConcurrentWriterError",
    "DeclarationRefusedError",
    "DocumentError",
    "ErrorCode",
    "IndexerError",
    "LineageWarmingError",
    "MirrorMismatchError",
    "MirrorNotReadyError",
    "MirrorStoppedError",
    "NotFoundError",
    "RangeTooLargeError",
    "ReorgTooDeepError",
    "ReportError",
    "SignatureError",
    "ValueOutOfRangeError",
    "codes_markdown",
    "errors_document",
]


_ROWS = [
    ErrorCode("TN-IX-400-01", 400, "SignatureInvalid", "a signed report does not verify"),
    ErrorCode("TN-IX-400-02", 400, "SignerNotAuditor", "the report's signer was no active auditor"),
    ErrorCode(
        "TN-IX-400-03", 400, "ReportFiguresDiffer", "the report's figures are not the chain's"
    ),
    ErrorCode("TN-IX-401-01", 401, "ApiKeyMissing", "no API key (Authorization: Bearer …)"),
    ErrorCode("TN-IX-401-02", 401, "ApiKeyInvalid", "unknown or revoked API key"),
    ErrorCode(
        "TN-IX-403-01", 403, "ForeignUnit", "the unit belongs to another party than the key's"
    ),
    ErrorCode("TN-IX-403-02", 403, "AuditorRequired", "only auditors read this report"),
    ErrorCode(
        "TN-IX-403-03", 403, "NotCounterparty", "the shipment or claim is not the key party's"
    ),
    ErrorCode("TN-IX-404-01", 404, "RouteUnknown", "no such route"),
    ErrorCode("TN-IX-404-02", 404, "UnitUnknown", "no such unit (name or id) in the mirror"),
    ErrorCode("TN-IX-404-03", 404, "ClassUnknown", "no such credit class (name or id)"),
    ErrorCode("TN-IX-404-04", 404, "ShipmentUnknown", "no such shipment in the mirror"),
    ErrorCode("TN-IX-404-05", 404, "ClaimUnknown", "no such claim in the mirror"),
    ErrorCode("TN-IX-404-06", 404, "PartyUnknown", "no such party (name or id) in the mirror"),
    ErrorCode("TN-IX-404-07", 404, "ProductGroupUnknown", "no such product group (name or id)"),
    ErrorCode(
        "TN-IX-404-08",
        404,
        "ReferenceUnknown",
        "no shipment or claim has this public reference (a public route takes no sequential id)",
    ),
    ErrorCode(
        "TN-IX-405-01",
        405,
        "MethodNotAllowed",
        "the path exists, not with this HTTP method (`args.allowed` and the Allow header name "
        "its methods: GET, or POST for /v1/reports/verify and /v1/declarations/check)",
    ),
    ErrorCode(
        "TN-IX-409-01",
        409,
        "CustodyCertificateMissing",
        "no SD: a custody scheme's supplier or recipient held no valid certificate at dispatch",
    ),
    ErrorCode(
        "TN-IX-413-01", 413, "DocumentTooLarge", "an uploaded document is larger than the API takes"
    ),
    ErrorCode(
        "TN-IX-422-00", 422, "FieldInvalid", "a parameter is missing, malformed or out of range"
    ),
    ErrorCode("TN-IX-422-01", 422, "PeriodInvalid", "not a period label (2027-Q1) of the class"),
    ErrorCode("TN-IX-422-02", 422, "PeriodMissing", "give a period label or a day inside it"),
    ErrorCode("TN-IX-422-03", 422, "DateRangeReversed", "`to` is before `from`"),
    ErrorCode("TN-IX-422-04", 422, "ReportInvalid", "the report cannot be built from the request"),
    ErrorCode(
        "TN-IX-422-05", 422, "DocumentUnreadable", "not a readable SD PDF with a verify link"
    ),
    ErrorCode(
        "TN-IX-422-06",
        422,
        "DocumentTooComplex",
        "reading the PDF would pass a limit of the declaration check (`args.limit`: pages, "
        "objects, streamBytes, contentBytes, contentOperators, structure, cpuSeconds, "
        "memoryBytes; `args.max` its value): an SD needs far less",
    ),
    ErrorCode("TN-IX-422-09", 422, "ArchiveInvalid", "an archive that cannot be written or read"),
    ErrorCode(
        "TN-IX-429-01",
        429,
        "RateLimited",
        "too many requests from this client to the public routes; retry after the "
        "`Retry-After` header's seconds (`args.retryAfterSeconds`)",
        True,
    ),
    ErrorCode("TN-IX-500-01", 500, "MirrorMismatch", "the mirror follows another chain or ledger"),
    ErrorCode("TN-IX-500-02", 500, "DeploymentMismatch", "the record does not match the chain"),
    ErrorCode("TN-IX-500-03", 500, "ReorgTooDeep", "a reorg below the unfinalised window"),
    ErrorCode("TN-IX-500-04", 500, "ValueOutOfRange", "a decoded integer is no uint256"),
    ErrorCode("TN-IX-503-01", 503, "ChainUnavailable", "the node did not answer; retry", True),
    ErrorCode("TN-IX-503-02", 503, "RangeTooLarge", "the node refused the log range; halved", True),
    ErrorCode(
        "TN-IX-503-03", 503, "ConcurrentWriter", "another indexer moved the checkpoint", True
    ),
    ErrorCode("TN-IX-503-04", 503, "LineageWarming", "provenance is being built; retry", True),
    ErrorCode(
        "TN-IX-503-05",
        503,
        "MirrorStopped",
        "the follower stopped (`args`: its code, error, block; e.g. TN-IX-500-03 after a reorg "
        "below the window): a route that answers the chain's present state refuses until the "
        "mirror is rebuilt (`tracenet indexer run --reset`); every answer carries the "
        "`X-Tracenet-Mirror: stopped; …` header meanwhile",
    ),
    ErrorCode(
        "TN-IX-503-06",
        503,
        "DocumentCheckBusy",
        "every PDF reader is busy and the queue is full; retry (Retry-After)",
        True,
    ),
    ErrorCode(
        "TN-IX-503-07",
        503,
        "MirrorNotReady",
        "the mirror holds no block yet: its follower has not started (`tracenet indexer run`)",
        True,
    ),
]

#: The table, by code.
CODES: dict[str, ErrorCode] = kit.code_table(_ROWS)
_BY_NAME: dict[str, ErrorCode] = {row.error: row for row in _ROWS}


def codes_markdown() -> str:
    """The table as Markdown."""
    return kit.codes_markdown(_ROWS)


def errors_document() -> str:
    """The whole of indexer/ERRORS.md (``tracenet indexer errors > indexer/ERRORS.md``)."""
    return kit.errors_markdown("IX", _ROWS, _NOTES)


_NOTES = """\
Every HTTP error body of the read API is `{"code", "error", "field", "message", "args"}`, the
gateway's body. The 5xx rows are the follower's and the CLI's errors (`tracenet indexer run`
prints `indexer: <code> <message>` and exits 2), never answered by the API except
`TN-IX-503-01`, `TN-IX-503-04` (provenance asked for while the lineage book is built after a
start) and `TN-IX-503-05` (a route answering the chain's present state while the follower is
stopped: `GET /v1/balances`, `/v1/shipments`, `/v1/registry/{kind}`,
`/v1/classes/{class}/audit`; indexer/README.md says why those), `TN-IX-503-06` (every PDF
reader of the declaration check busy) and `TN-IX-503-07` (a report asked of a mirror that holds
no block yet). The public routes (verification, declaration, declaration check, docs) answer
`TN-IX-429-01` with a `Retry-After` header past a per-client rate
(`TRACENET_INDEXER_PUBLIC_RATE_PER_MINUTE`, …).
"""


def _row_of(cls: type, error: str | None) -> ErrorCode:
    if error is not None:
        return _BY_NAME[error]
    for klass in cls.__mro__:
        name = klass.__dict__.get("default_error")
        if name is not None:
            return _BY_NAME[name]
        if klass.__name__ in _BY_NAME:
            return _BY_NAME[klass.__name__]
    return _BY_NAME["ReportInvalid"]


class IndexerError(TracenetError):
    """Root of every error raised by the ``indexer`` package; ``error`` names a row of
    ``CODES`` (the class's own by default)."""

    default_error: str | None = None

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        error: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        row = _row_of(type(self), error)
        self.message = message
        self.field = field
        self.error = row.error
        self.code = row.code
        self.status = row.status
        self.retryable = row.retryable
        self.details: dict[str, Any] = args or {}

    def to_json(self) -> dict[str, Any]:
        """The API's error body."""
        return {
            "code": self.code,
            "error": self.error,
            "field": self.field,
            "message": self.message,
            "args": self.details,
        }


class ChainReadError(IndexerError):
    """The node failed or answered something unusable; trying again may help."""

    default_error = "ChainUnavailable"


class RangeTooLargeError(ChainReadError):
    """The node refused an eth_getLogs range (too many blocks or results, or a timeout)."""

    default_error = "RangeTooLarge"

    def __init__(self, message: str, *, from_block: int, to_block: int) -> None:
        super().__init__(
            message, field="range", args={"fromBlock": from_block, "toBlock": to_block}
        )
        self.from_block = from_block
        self.to_block = to_block


class ReorgTooDeepError(IndexerError):
    """The chain diverged below the unfinalised window: rebuild with ``indexer run --reset``."""

    default_error = "ReorgTooDeep"

    def __init__(self, message: str, *, block: int) -> None:
        super().__init__(message, field="block", args={"block": block})
        self.block = block


class MirrorMismatchError(IndexerError):
    """The database mirrors another chain id or deployment than the one configured."""

    default_error = "MirrorMismatch"


class ConcurrentWriterError(IndexerError):
    """The checkpoint moved under us: another indexer writes to the same database."""

    default_error = "ConcurrentWriter"


class LineageWarmingError(IndexerError):
    """The lineage book has not reached this target's event yet (after a start): retry soon."""

    default_error = "LineageWarming"


class MirrorStoppedError(IndexerError):
    """The follower recorded a stop (a reorg below the window…): the mirror may hold an
    abandoned fork, so a route answering the chain's present state refuses (``args``: the
    stop's ``code``, ``error``, ``block``, ``message``, ``at``). Retrying does not help until
    an operator rebuilds the mirror."""

    default_error = "MirrorStopped"


class MirrorNotReadyError(IndexerError):
    """The mirror holds no block yet (its follower has not started on it): a report has no
    block to be as of. Retrying helps once the follower runs."""

    default_error = "MirrorNotReady"


class ValueOutOfRangeError(IndexerError):
    """A decoded integer outside 0 … 2^256 − 1: the log is corrupt (every uint256 fits the
    mirror: grams are ``Amount`` columns)."""

    default_error = "ValueOutOfRange"


class ReportError(IndexerError):
    """A report request that cannot be answered (bad period, reversed dates…)."""

    default_error = "ReportInvalid"


class DocumentError(ReportError):
    """An uploaded document the API cannot check: too large (413), or no readable SD PDF."""

    default_error = "DocumentUnreadable"


class NotFoundError(ReportError):
    """The thing asked about does not exist in the mirror (``error`` says which kind)."""

    default_error = "UnitUnknown"


class AccessDeniedError(IndexerError):
    """No key, an unknown key, or a party that may not read this (commercially sensitive)."""

    default_error = "ForeignUnit"


class DeclarationRefusedError(IndexerError):
    """No Sustainability Declaration for this shipment: under a scheme requiring a certified chain
    of custody, its supplier, or a recipient the scheme does not exempt, held no certificate of
    the scheme valid at dispatch (``args``: role, party, unit, class, scheme, ledger's reason)."""

    default_error = "CustodyCertificateMissing"


class SignatureError(IndexerError):
    """A signed report whose signature or content does not verify, or whose signer was no
    registered, active auditor at the report's block."""

    default_error = "SignatureInvalid"
