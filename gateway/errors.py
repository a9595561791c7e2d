"""Errors of the ``gateway`` package, and the ONE table of stable error codes the API returns.

::

    GatewayError                  root: code, status, error (stable name), field, retryable
    ├── AuthError                 401 / 403: missing, unknown or revoked key; wrong scope/party/unit
    ├── RequestRejected           422: the write breaks a rule the gateway checks before signing
    ├── NotFound                  404: no such request (or not the caller's)
    ├── IdempotencyConflict       409: the Idempotency-Key was used with another body
    ├── BodyError                 400 / 413 / 415: malformed JSON, body too large, wrong type
    ├── ChainUnavailable          503: the node did not answer (retryable)
    └── ConfigurationError        the gateway cannot start (settings, keys, deployment record)

Every HTTP error body is ``{"code", "error", "field", "message"}``; ``CODES`` below is the
contract (documented in gateway/ERRORS.md and in the OpenAPI description). A code never changes
meaning; new rules get new codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CODES",
    "AuthError",
    "BodyError",
    "ChainUnavailable",
    "ConfigurationError",
    "ErrorCode",
    "GatewayError",
    "IdempotencyConflict",
    "NotFound",
    "RequestRejected",
    "codes_markdown",
]


@dataclass(frozen=True)
class ErrorCode:
    """One row of the table: stable code, HTTP status, stable name, what it means."""

    code: str
    status: int
    error: str
    meaning: str
    retryable: bool = False


_ROWS = [
    ErrorCode("TN-GW-4001", 400, "BodyMalformed", "the body is not valid JSON"),
    ErrorCode("TN-GW-4011", 401, "ApiKeyMissing", "no API key (Authorization: Bearer …)"),
    ErrorCode("TN-GW-4012", 401, "ApiKeyInvalid", "unknown or revoked API key"),
    ErrorCode("TN-GW-4031", 403, "ScopeInsufficient", "a read-scope key cannot write"),
    ErrorCode("TN-GW-4032", 403, "ForeignUnit", "the unit belongs to another party than the key's"),
    ErrorCode(
        "TN-GW-4033", 403, "RoleMissing", "the key's party lacks the role the operation needs"
    ),
    ErrorCode("TN-GW-4041", 404, "RequestNotFound", "no request with this id for this party"),
    ErrorCode("TN-GW-4091", 409, "IdempotencyConflict", "Idempotency-Key reused with another body"),
    ErrorCode("TN-GW-4131", 413, "BodyTooLarge", "the body exceeds the gateway's size limit"),
    ErrorCode("TN-GW-4151", 415, "UnsupportedMediaType", "writes take application/json only"),
    ErrorCode("TN-GW-4220", 422, "FieldInvalid", "a field is missing, of the wrong type or shape"),
    ErrorCode("TN-GW-4221", 422, "CapExceeded", "R6: credits exceed quantity × max share"),
    ErrorCode("TN-GW-4222", 422, "QuantityNotInteger", "grams must be an integer (no floats)"),
    ErrorCode("TN-GW-4223", 422, "QuantityNotPositive", "grams must be greater than zero"),
    ErrorCode("TN-GW-4224", 422, "QuantityOverflow", "grams exceed the on-chain integer range"),
    ErrorCode("TN-GW-4225", 422, "UnitUnknown", "no such unit (name or id)"),
    ErrorCode("TN-GW-4226", 422, "ClassUnknown", "no such credit class, or a malformed token id"),
    ErrorCode("TN-GW-4227", 422, "PartyUnknown", "no such party (name or id)"),
    ErrorCode("TN-GW-4228", 422, "PartySuspended", "R2: the party is suspended"),
    ErrorCode("TN-GW-4229", 422, "CertificateUnknown", "no such certificate"),
    ErrorCode(
        "TN-GW-4230",
        422,
        "CertificateNotValid",
        "R3: certificate expired, not yet valid or revoked",
    ),
    ErrorCode(
        "TN-GW-4231",
        422,
        "CertificateScope",
        "R3: certificate of another holder, scheme, class or site",
    ),
    ErrorCode("TN-GW-4232", 422, "CreditsInsufficient", "R1: the unit holds fewer credits"),
    ErrorCode("TN-GW-4233", 422, "CreditsLapsed", "R4: the credits' allocation window is over"),
    ErrorCode("TN-GW-4234", 422, "EvidenceReused", "R3: this evidence already created credits"),
    ErrorCode(
        "TN-GW-4235",
        422,
        "ProductGroupMismatch",
        "R5/R7: unknown group, or credits of another group",
    ),
    ErrorCode(
        "TN-GW-4236", 422, "ModelMismatch", "R8: book-and-claim ships never; others trade never"
    ),
    ErrorCode(
        "TN-GW-4237", 422, "BoundaryViolation", "R7: inventory moves only inside one boundary"
    ),
    ErrorCode(
        "TN-GW-4238", 422, "FactorNotInEffect", "R5: unknown process or factor not in effect"
    ),
    ErrorCode("TN-GW-4239", 422, "ShipmentToSelf", "a shipment goes to another unit"),
    ErrorCode("TN-GW-4240", 422, "LinesInvalid", "credit lines empty, too many, or repeated"),
    ErrorCode(
        "TN-GW-4241", 422, "NoSigner", "this gateway holds no signing key for the unit/party"
    ),
    ErrorCode("TN-GW-4242", 422, "CertificateVolumeExceeded", "R3: over the audited volume"),
    ErrorCode("TN-GW-4243", 422, "SegregationViolated", "R8: segregated lines must be one batch"),
    ErrorCode("TN-GW-4244", 422, "RecipientInactive", "R2: recipient suspended or not a member"),
    ErrorCode("TN-GW-4245", 422, "CreditsNotLapsed", "R4: the credits are still in their window"),
    ErrorCode(
        "TN-GW-4246",
        422,
        "ConversionInputMismatch",
        "R5: credits of another class than the process input",
    ),
    ErrorCode("TN-GW-5031", 503, "ChainUnavailable", "the node did not answer; retry", True),
]

#: The table, by code.
CODES: dict[str, ErrorCode] = {row.code: row for row in _ROWS}
_BY_NAME: dict[str, ErrorCode] = {row.error: row for row in _ROWS}


def codes_markdown() -> str:
    """The table as Markdown (ERRORS.md and the OpenAPI description are generated from it)."""
    lines = ["| code | HTTP | error | meaning |", "|---|---|---|---|"]
    lines += [f"| {r.code} | {r.status} | {r.error} | {r.meaning} |" for r in _ROWS]
    return "\n".join(lines)


class GatewayError(Exception):
    """Root of every gateway error; ``error`` names a row of ``CODES``."""

    default_error = "FieldInvalid"

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        row = _BY_NAME[error or self.default_error]
        self.message = message
        self.error = row.error
        self.code = row.code
        self.status = row.status
        self.retryable = row.retryable
        self.field = field
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "error": self.error,
            "field": self.field,
            "message": self.message,
        }
        if self.details:
            body["details"] = self.details
        return body


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


class ConfigurationError(Exception):
    """The gateway cannot start: bad settings, a key that does not unlock, no deployment."""

    retryable = False
