"""The one exception root: every error a Tracenet component raises on purpose derives from
``TracenetError``, so a caller (the CLI, a service's exception handler, an embedding program)
can catch Tracenet's errors apart from bugs in one ``except``.

::

    TracenetError                      code, field, retryable
    ├── contracts.TracenetContractsError
    ├── node.NodeError, node.NetworkError
    ├── wallet.WalletError
    ├── gateway.GatewayError, gateway.ConfigurationError
    ├── indexer.IndexerError
    ├── erp.ErpError
    ├── console.ConsoleError
    └── tracenet.demo.DemoError

Each component's own root documents its subtree and its codes.

The codes a service answers with are rows of one type, ``ErrorCode``, in one format,
``TN-<service>-<status>-<nn>`` (``error_code``): the gateway's, the indexer's and the console's
tables are lists of rows, and each ``ERRORS.md`` is ``errors_markdown`` of its table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CODE_FORMAT",
    "SERVICES",
    "ErrorCode",
    "TracenetError",
    "code_table",
    "codes_markdown",
    "error_code",
    "errors_markdown",
    "parse_code",
]


class TracenetError(Exception):
    """Root of every Tracenet error.

    ``code`` is the stable code a caller may match on, ``field`` the input at fault when there is
    one, ``retryable`` whether the same call may succeed later without any change on the caller's
    side (a node that did not answer; never a rule that refused)."""

    code: str = "TN-ERROR"
    field: str | None = None
    retryable: bool = False


#: The services that answer with codes, by the code's service part.
SERVICES: dict[str, str] = {"GW": "gateway", "IX": "indexer", "CO": "console"}
#: The one format of a code, as people read it.
CODE_FORMAT = "TN-<service>-<status>-<nn>"
_CODE = re.compile(r"TN-([A-Z]{2})-([1-5][0-9]{2})-([0-9]{2})")


def error_code(service: str, status: int, serial: int) -> str:
    """The code of a service's ``serial``-th error answered with HTTP ``status``:
    ``error_code("GW", 422, 42) == "TN-GW-422-42"``. The status stands alone between dashes, so
    no code reads as another status; the serial counts within that status (00 … 99)."""
    if service not in SERVICES:
        raise ValueError(f"{service!r} is not a service code ({', '.join(SERVICES)})")
    if not 100 <= status <= 599:
        raise ValueError(f"{status} is not an HTTP status")
    if not 0 <= serial <= 99:
        raise ValueError(f"serial {serial} is not of two digits")
    return f"TN-{service}-{status}-{serial:02d}"


def parse_code(code: str) -> tuple[str, int, int]:
    """``(service, status, serial)`` of a code; ValueError if it is not of ``CODE_FORMAT``."""
    match = _CODE.fullmatch(code)
    if match is None or match.group(1) not in SERVICES:
        raise ValueError(f"{code!r} is not a code of the form {CODE_FORMAT}")
    return match.group(1), int(match.group(2)), int(match.group(3))


@dataclass(frozen=True)
class ErrorCode:
    """One row of a service's table: the stable code, the HTTP status it is answered with (the
    code's own status part: a row that disagrees is refused when the table is built), the stable
    error name, what it means, and whether the same call may succeed later unchanged."""

    code: str
    status: int
    error: str
    meaning: str
    retryable: bool = False

    def __post_init__(self) -> None:
        _service, status, _serial = parse_code(self.code)
        if status != self.status:
            raise ValueError(f"{self.code} is a {status} code, not {self.status}")

    @property
    def service(self) -> str:
        return parse_code(self.code)[0]

    @property
    def serial(self) -> int:
        return parse_code(self.code)[2]


def code_table(rows: Iterable[ErrorCode]) -> dict[str, ErrorCode]:
    """A service's table by code; a code given twice is refused (the table is built on import)."""
    table: dict[str, ErrorCode] = {}
    for row in rows:
        if row.code in table:
            raise ValueError(f"{row.code} is both {table[row.code].error} and {row.error}")
        table[row.code] = row
    return table


def codes_markdown(rows: Iterable[ErrorCode]) -> str:
    """A table as Markdown, one row per code in code order (status, then serial)."""
    lines = ["| code | HTTP | error | meaning | retryable |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.code} | {r.status} | {r.error} | {r.meaning} | {'yes' if r.retryable else 'no'} |"
        for r in sorted(rows, key=lambda r: r.code)
    ]
    return "\n".join(lines)


def errors_markdown(service: str, rows: Iterable[ErrorCode], notes: str) -> str:
    """The whole ``ERRORS.md`` of a service (``GW``, ``IX``, ``CO``): the format, said once here
    for the three, the service's ``notes`` (Markdown paragraphs), then its table."""
    name = SERVICES[service]
    table = list(rows)
    strays = [r.code for r in table if r.service != service]
    if strays:
        raise ValueError(f"{strays} are not codes of the {name}")
    return f"""# {name.capitalize()} error codes

Generated from `{name}/errors.py` by `tracenet {name} errors > {name}/ERRORS.md`;
a test keeps this file equal to the code.

A code is `{CODE_FORMAT}`: the service (`GW` gateway, `IX` indexer, `CO`
console), the HTTP status the error is answered with, and a two-digit serial counting within
that status (`TN-GW-422-42` is the gateway's 422 number 42). Each service lists its own
codes: gateway, indexer and console each have an `ERRORS.md` like this one. `error` is the
stable name a program matches on; `retryable` says whether the same call may succeed later
without any change (a node that did not answer, never a rule that refused). A code never
changes meaning; a new case gets the next free serial of its status. Codes of four digits
(before issue 18) were ten times the status plus the serial: the gateway's old 4262 is
`TN-GW-422-42`.

{notes.strip()}

{codes_markdown(table)}
"""
