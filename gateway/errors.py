# ruff: noqa: E501  (the code table reads best one row per line)
"""Errors of the ``gateway`` package, and the ONE table of stable error codes the API returns.

::

    GatewayError                  root: code, status, error (stable name), field, retryable
    ├── AuthError                 401 / 403: missing, unknown or revoked key; wrong scope/party/unit
    ├── RequestRejected           422: the write breaks a rule the gateway checks before signing
    ├── NotFound                  404: no such request (or not the caller's)
    ├── IdempotencyConflict       409: the Idempotency-Key was used with another body
    ├── BodyError                 400 / 404 / 405 / 413 / 415: malformed JSON, no such route,
    │                             body too large, wrong type
    ├── ChainUnavailable          503: the node did not answer (retryable)
    └── ConfigurationError        the gateway cannot start (settings, keys, deployment record,
                                  another gateway serving the same SQLite store)
    SigningLeaseLost              internal, never an HTTP answer: this replica no longer holds
                                  the right to sign (gateway/pipeline/_lease.py); it stops signing

Every HTTP error body is ``{"code", "error", "field", "message", "args"}``; ``CODES`` below is
the contract (generated into gateway/ERRORS.md and the OpenAPI description). Wherever a ledger
rule is concerned, ``error`` is the chain's custom-error name and ``args`` its arguments (named as
in the Solidity declaration), whether the gateway refused before signing or the chain reverted. A
code never changes meaning; new rules get new codes.
"""

from __future__ import annotations

from typing import Any

from tracenet.gateway._jsonable import jsonable
from tracenet.kit import errors as kit
from tracenet.kit.errors import ErrorCode, TracenetError

__all__ = [
    "CODES",
    "NAMES",
    "AuthError",
    "BodyError",
    "ChainUnavailable",
    "ConfigurationError",
    "ErrorCode",
    "GatewayError",
    "IdempotencyConflict",
    "NotFound",
    "RequestRejected",
    "SigningLeaseLost",
    "codes_markdown",
    "error_body",
    "errors_document",
]


def _row(code: str, status: int, error: str, meaning: str, *, retryable: bool = False) -> ErrorCode:
    return ErrorCode(code, status, error, meaning, retryable)


_ROWS = [
    # ---- the request itself -------------------------------------------------------------------
    _row("TN-GW-400-01", 400, "BodyMalformed", "the body is not valid JSON (or holds a number of more than 4,300 digits)"),
    _row("TN-GW-401-01", 401, "ApiKeyMissing", "no API key (`Authorization: Bearer …` or `X-API-Key`)"),
    _row("TN-GW-401-02", 401, "ApiKeyInvalid", "unknown or revoked API key"),
    _row("TN-GW-403-01", 403, "ScopeInsufficient", "a read-scope key cannot write"),
    _row("TN-GW-403-02", 403, "UnitNotOwned", "the unit belongs to another party than the key's"),
    _row("TN-GW-403-03", 403, "AccessRoleMissing", "the key's party lacks the role the operation needs"),
    _row("TN-GW-403-04", 403, "CertificateNotIssuer", "only the certification body that issued a certificate states its status"),
    _row("TN-GW-404-00", 404, "RouteNotFound", "no such path (see /docs)"),
    _row("TN-GW-404-01", 404, "RequestNotFound", "no request with this id for this party"),
    _row("TN-GW-405-01", 405, "MethodNotAllowed", "the path exists, not with this HTTP method"),
    _row("TN-GW-409-01", 409, "IdempotencyConflict", "Idempotency-Key reused with another body"),
    _row("TN-GW-413-01", 413, "BodyTooLarge", "the body exceeds `max_body_bytes` (with or without Content-Length, chunked included)"),
    _row("TN-GW-415-01", 415, "UnsupportedMediaType", "writes take application/json only"),
    _row("TN-GW-422-00", 422, "FieldInvalid", "a field is missing, of the wrong type or shape, out of its range, or a text with control characters"),
    _row("TN-GW-422-02", 422, "QuantityNotInteger", "grams must be an integer (no floats)"),
    _row("TN-GW-422-03", 422, "QuantityNotPositive", "grams must be greater than zero"),
    _row("TN-GW-422-04", 422, "QuantityTooLarge", "R13: an amount above `MAX_QUANTITY_G` = 10^15 g"),
    # ---- ledger rules checked before signing: the chain's custom-error names -------------------
    _row("TN-GW-422-01", 422, "CapExceeded", "R6: credits exceed quantity × the product group's max share"),
    _row("TN-GW-422-05", 422, "UnitUnknown", "no such unit (registry key or id)"),
    _row("TN-GW-422-06", 422, "ClassUnknown", "no such credit class, or a malformed token id"),
    _row("TN-GW-422-07", 422, "PartyUnknown", "no such party (registry key or id)"),
    _row("TN-GW-422-08", 422, "PartyIsSuspended", "R2: the acting or receiving party is suspended"),
    _row("TN-GW-422-09", 422, "CertificateUnknown", "no such certificate (number, registry key or id)"),
    _row("TN-GW-422-10", 422, "CertificateNotValid", "R3: the certificate is expired or not yet valid"),
    _row("TN-GW-422-11", 422, "CertificateScopeClass", "R3: the certificate does not cover the class"),
    _row("TN-GW-422-12", 422, "CreditsInsufficient", "R1: the unit holds fewer credits"),
    _row("TN-GW-422-13", 422, "CreditsLapsed", "R4: the credits' allocation window is over"),
    _row("TN-GW-422-14", 422, "InputEvidenceReused", "R3: this evidence already created credits"),
    _row("TN-GW-422-15", 422, "ProductGroupUnknown", "no such product group"),
    _row("TN-GW-422-16", 422, "ModelNotShippable", "R8: book-and-claim credits never ship"),
    _row("TN-GW-422-17", 422, "BoundaryViolation", "R7: inventory moves only inside one multi-site boundary"),
    _row("TN-GW-422-18", 422, "FactorNotEffective", "R5: the factor version is not in effect yet"),
    _row("TN-GW-422-19", 422, "ShipmentToSelf", "a shipment or transfer goes to another unit"),
    _row("TN-GW-422-20", 422, "LinesInvalid", "credit lines empty (where lines are needed), too many, or repeated"),
    _row("TN-GW-422-21", 422, "NoSigner", "this gateway holds no signing key for the unit or party"),
    _row("TN-GW-422-22", 422, "CertificateVolumeExceeded", "R3: over the certificate's audited volume"),
    _row("TN-GW-422-23", 422, "SegregationViolated", "R8: segregated lines must be one batch"),
    _row("TN-GW-422-24", 422, "AccessRoleMissing", "R2: the receiving unit's party is not a member"),
    _row("TN-GW-422-25", 422, "CreditsNotLapsed", "R4: the credits are still in their allocation window"),
    _row("TN-GW-422-26", 422, "ConversionInputMismatch", "R5: credits of another class than the process input"),
    _row("TN-GW-422-27", 422, "CertificateNotInForce", "R3: the certificate is suspended, withdrawn or terminated (it was revoked)"),
    _row("TN-GW-422-28", 422, "CertificateHolderMismatch", "R3: the certificate is another party's"),
    _row("TN-GW-422-29", 422, "CertificateSchemeMismatch", "R3: the certificate is of another scheme than the class"),
    _row("TN-GW-422-30", 422, "CertificateScopeUnit", "R3: the certificate does not cover the unit"),
    _row("TN-GW-422-31", 422, "ShipmentProductGroupMismatch", "R5/R7: credits of another product group than the shipment's"),
    _row("TN-GW-422-32", 422, "ModelNotTradable", "R8: only book-and-claim certificates move without a shipment"),
    _row("TN-GW-422-33", 422, "PeriodCloseModel", "R4: periods are closed for mass-balance classes only"),
    _row("TN-GW-422-34", 422, "CreditsNone", "R4: the unit holds none of these credits (nothing to lapse)"),
    _row("TN-GW-422-35", 422, "ProcessUnknown", "no such process"),
    _row("TN-GW-422-36", 422, "FactorUnknown", "R5: the process has no factor of this version"),
    _row("TN-GW-422-37", 422, "FactorSuperseded", "R5: a later factor version is in effect"),
    _row("TN-GW-422-38", 422, "ProcessSiteMismatch", "R5: the process is registered at another unit"),
    _row("TN-GW-422-39", 422, "SchemeUnknown", "no such scheme"),
    _row("TN-GW-422-40", 422, "ProcessModelMismatch", "R5: a process converts between classes of one model"),
    _row("TN-GW-422-41", 422, "UnitProductOutOfScope", "R7: the product group is outside the unit's product scope (it may neither ship nor claim it)"),
    _row("TN-GW-422-42", 422, "RollingShareMismatch", "R8: lines of a rolling-average class must carry exactly the unit's share in force × the quantity (omit them: the gateway adds them)"),
    _row("TN-GW-422-43", 422, "RollingQuantityRequired", "R8: rolling-average credits are claimed with `class` and the claimed product `quantity`"),
    _row("TN-GW-422-44", 422, "RollingClassRequired", "R8: the class does not use the rolling average percentage"),
    _row("TN-GW-422-45", 422, "RollingClassMismatch", "R8: a rolling-average claim carries lines of its class only"),
    _row("TN-GW-422-46", 422, "BoundaryUnknown", "no such multi-site boundary (registry key or id)"),
    _row("TN-GW-422-47", 422, "NameAmbiguous", "a display name that several entities of the kind share: name one by its registry key or id"),
    _row("TN-GW-422-48", 422, "TransitUnknown", "issue 19: the shipment never awaited acceptance (or does not exist)"),
    _row("TN-GW-422-49", 422, "TransitNotPending", "issue 19: the shipment no longer awaits acceptance (accepted, rejected, recalled or settled)"),
    _row("TN-GW-422-50", 422, "TransitRecipientOnly", "issue 19: only the shipment's recipient accepts or rejects it"),
    _row("TN-GW-422-51", 422, "TransitSenderOnly", "issue 19: only the shipment's sender recalls it"),
    _row("TN-GW-422-52", 422, "TransitWindowOpen", "issue 19: a shipment is settled only after its acceptance window (`args.deadline`)"),
    _row("TN-GW-422-53", 422, "TransitReasonMissing", "issue 19: a rejection states its reason"),
    _row("TN-GW-422-54", 422, "AcceptanceInvalid", "issue 19: acceptance `none` takes no window; `required` a window of 1 s to 366 days"),
    _row("TN-GW-422-60", 422, "CertificateNumberTaken", "R3: the scheme already has a certificate of this number"),
    _row("TN-GW-422-61", 422, "CertificateStatusFinal", "a withdrawn or terminated certificate stays so"),
    _row("TN-GW-422-62", 422, "CertificateStatusUnchanged", "the certificate has this status already"),
    _row("TN-GW-422-63", 422, "CertificateStatusDate", "a status takes effect between the certificate's last change and now"),
    _row("TN-GW-422-64", 422, "CertificateStatusUnknown", "expired is by date, never stated: valid, suspended, withdrawn or terminated"),
    # ---- the service -----------------------------------------------------------------------------
    _row("TN-GW-429-01", 429, "RateLimited", "too many requests from this client to the API docs (/docs, /openapi.json: the routes that need no key, but /v1/health); retry after the `Retry-After` header's seconds (`args.retryAfterSeconds`)", retryable=True),
    _row("TN-GW-500-01", 500, "InternalError", "a fault of the gateway (logged with its traceback); never expected"),
    _row("TN-GW-503-01", 503, "ChainUnavailable", "the node did not answer; retry", retryable=True),
]  # fmt: skip

#: The table, by code.
CODES: dict[str, ErrorCode] = kit.code_table(_ROWS)
#: Every error name of the table.
NAMES: frozenset[str] = frozenset(row.error for row in _ROWS)
#: The table, by (error name, status); a name with one row, by name alone.
_BY_KEY: dict[tuple[str, int], ErrorCode] = {(row.error, row.status): row for row in _ROWS}
_BY_NAME: dict[str, ErrorCode] = {}
for _r in _ROWS:
    _BY_NAME.setdefault(_r.error, _r)


def codes_markdown() -> str:
    """The table as Markdown (ERRORS.md and the OpenAPI description are generated from it)."""
    return kit.codes_markdown(_ROWS)


class GatewayError(TracenetError):
    """Root of every gateway error; ``error`` names a row of ``CODES``."""

    default_error = "FieldInvalid"

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        field: str | None = None,
        args: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        name = error or self.default_error
        row = _BY_NAME[name] if status is None else _BY_KEY[(name, status)]
        self.message = message
        self.error = row.error
        self.code = row.code
        self.status = row.status
        self.retryable = row.retryable
        self.field = field
        self.args_ = dict(args or {})

    def to_json(self) -> dict[str, Any]:
        return error_body(self.code, self.error, self.field, self.message, self.args_)


def error_body(
    code: str, error: str, field: str | None, message: str, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The one error body: ``{"code", "error", "field", "message", "args"}`` (args JSON-safe:
    integers beyond 2**53 and every uint256 as decimal strings, bytes as 0x-hex)."""
    return {"code": code, "error": error, "field": field, "message": message,
            "args": jsonable(args or {})}  # fmt: skip


class AuthError(GatewayError):
    default_error = "ApiKeyInvalid"


class RequestRejected(GatewayError):
    default_error = "FieldInvalid"


class NotFound(GatewayError):
    default_error = "RequestNotFound"


class IdempotencyConflict(GatewayError):
    default_error = "IdempotencyConflict"


class BodyError(GatewayError):
    default_error = "BodyMalformed"


class ChainUnavailable(GatewayError):
    default_error = "ChainUnavailable"


class ConfigurationError(TracenetError):
    """The gateway cannot start: bad settings, a key that does not unlock, no deployment."""

    retryable = False


class SigningLeaseLost(TracenetError):
    """This replica lost its signing lease (its lock connection to the store is gone): it stops
    signing at once and stands by; another replica (or this one, later) takes the lease."""

    retryable = True


def errors_document() -> str:
    """The whole of gateway/ERRORS.md (``tracenet gateway errors > gateway/ERRORS.md``)."""
    return kit.errors_markdown("GW", _ROWS, _NOTES)


_NOTES = """\
Every status the gateway answers is here and in each route's OpenAPI responses. Every error
body is `{"code", "error", "field", "message", "args"}`. Wherever a ledger rule is concerned,
`error` is the chain's custom-error name and `args` its arguments, named as in the Solidity
declaration (integers beyond 2^53 as decimal strings), whether the gateway refused the write
before signing (HTTP 4xx below) or the chain reverted it.

On-chain rejections are not HTTP errors: the request ends `rejected` with
`outcome = {"error": <custom error name>, "args": {...}}`, decoded from
`debug_traceTransaction` (call tracer) or, where the node has no tracer, an `eth_call` replay on
the parent block.

Limits: bodies at most `max_body_bytes` (64 KiB by default; 413 `TN-GW-413-01` whether or not
the body has a Content-Length, chunked included); a JSON number of more than 4,300 digits is
400 `TN-GW-400-01`; amounts at most `MAX_QUANTITY_G` = 10^15 g (422 `TN-GW-422-04`); ids below
2^32, token ids below 2^96, request cursors below 2^63 (422 `TN-GW-422-00`); texts without
control characters (422 `TN-GW-422-00`). An unknown path is 404 `TN-GW-404-00`, a known path
with another method 405 `TN-GW-405-01`. The API docs (`/docs`, `/openapi.json`), which need no
key, are limited per client (IP address): `public_rate_per_minute` (120) with a burst of
`public_burst` (60), then 429 `TN-GW-429-01` with `Retry-After`; `/v1/health` is not (probes
poll it, and it answers from memory).
"""
