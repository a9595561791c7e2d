# ruff: noqa: E501  (the code table reads best one row per line)
"""Errors of the console: one root under Tracenet's, and the table of the codes its pages show.

::

    ConsoleError           root (tracenet.kit.errors.TracenetError)
    ├── ApiError           a service answered with its error body (status, code, error, field)
    ├── FormError          a form field a person typed breaks its rule (field, message)
    └── SignInRequired     a party page opened without a session (the app redirects)

``CODES`` is the console's own codes (an ``ApiError`` raised by the console itself, shown on the
error page); a service's error is shown with the service's code. ``console/ERRORS.md`` is
generated from it (``tracenet console errors > console/ERRORS.md``) and a test keeps it current.
"""

from __future__ import annotations

from tracenet.kit import errors as kit
from tracenet.kit.errors import ErrorCode, TracenetError

__all__ = ["CODES", "ConsoleError", "ErrorCode", "errors_document", "framework_code"]


class ConsoleError(TracenetError):
    """Root of every error raised by the console."""


_ROWS = [
    ErrorCode("TN-CO-400-00", 400, "HttpError", "a request the web framework refuses before any page runs (a malformed form or upload)"),
    ErrorCode("TN-CO-403-01", 403, "AccessRoleMissing", "the form is of a role the signed-in party does not hold: said before sending it (the gateway would refuse it, `TN-GW-403-03`)"),
    ErrorCode("TN-CO-403-02", 403, "FormTokenInvalid", "the form carries no token, or one of a session that has ended (signed out, timed out, the console restarted); nothing was sent"),
    ErrorCode("TN-CO-403-03", 403, "FormOriginForeign", "the form was sent from a page that is not this console's (its `Origin` or `Referer`), or from one that hides its origin; nothing was sent"),
    ErrorCode("TN-CO-404-00", 404, "HttpError", "no such page"),
    ErrorCode("TN-CO-404-01", 404, "NotFound", "an audit report is downloaded as report.csv or report.json only"),
    ErrorCode("TN-CO-404-02", 404, "NotFound", "no such signed report in this session"),
    ErrorCode("TN-CO-405-00", 405, "HttpError", "the page exists, not with this HTTP method"),
    ErrorCode("TN-CO-413-01", 413, "DocumentTooLarge", "an uploaded Sustainability Declaration is larger than 1 MiB"),
    ErrorCode("TN-CO-422-01", 422, "FieldInvalid", "a form field or query parameter is missing or malformed (`field` names it)"),
    ErrorCode("TN-CO-429-01", 429, "RateLimited", "too many requests from this client to the public pages; retry after the `Retry-After` header's seconds", True),
    ErrorCode("TN-CO-502-01", 502, "OpenApiUnreadable", "the gateway's /openapi.json, which the console reads its forms from, is not an OpenAPI document"),
    ErrorCode("TN-CO-503-01", 503, "ServiceUnavailable", "the gateway or the indexer did not answer; retry", True),
]  # fmt: skip

#: The table, by code.
CODES: dict[str, ErrorCode] = kit.code_table(_ROWS)


def framework_code(status: int) -> str:
    """The code of a refusal by the web framework itself (no such page, another method…):
    serial 00 of its status."""
    return kit.error_code("CO", status, 0)


def errors_document() -> str:
    """The whole of console/ERRORS.md (``tracenet console errors > console/ERRORS.md``)."""
    return kit.errors_markdown("CO", _ROWS, _NOTES)


_NOTES = """\
The console answers pages, not JSON: an error is the error page (HTTP status as below) showing
the code, the error's name and a sentence, with the field at fault beside its input where there
is one. An error of the gateway (`TN-GW-…`, gateway/ERRORS.md) or the indexer (`TN-IX-…`,
indexer/ERRORS.md) is shown with the code that service answered; the rows below are the
console's own. A refusal of the web framework itself has the serial 00 of its status
(`TN-CO-404-00`: no such page); the statuses it answers besides those below are of the same form.
"""
