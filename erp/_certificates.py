"""``tracenet import certificates FILE``: a certification body's published certificate list
(issue 20), through the same batch, dry run, idempotency keys, progress and result file as every
import.

Each row is registered once, then its status stated when the list says it is not valid. The
chain's own rules make a list idempotent whoever runs it and however often: a number already in
its scheme (``CertificateNumberTaken``) and a status the certificate has already
(``CertificateStatusUnchanged``) are ``already-done``, not refusals. ``valid`` with a
``status_from`` reinstates a suspended certificate. ``expired`` is by date: the ledger reads it
from the validity window, so nothing is stated.
"""

from __future__ import annotations

from tracenet.erp._client import GatewayClient
from tracenet.erp._columns import Column, Kind, _ref
from tracenet.erp._read import Table
from tracenet.erp._run import (
    DONE,
    INVALID,
    Row,
    Summary,
    check_rows,
    submit_rows,
)

__all__ = ["ALREADY", "STATUS", "check_certificates", "import_certificates", "status_rows"]

#: The gateway's refusals that mean "this row is on the chain already".
ALREADY = frozenset({"CertificateNumberTaken", "CertificateStatusUnchanged"})

#: The second step of a row: its status, a batch item of kind ``certificate-status``.
STATUS = Kind(
    "certificate-status",
    "certificate-status",
    (Column("number", "certificate", _ref),),
    "a certificate's status as its body publishes it",
)

_DEFAULT_REASON = "as published in the certification body's certificate list"


def status_rows(table: Table, rows: list[Row]) -> dict[int, Row]:
    """The status step of every valid row whose list states suspended, withdrawn or terminated,
    or valid with a ``status_from`` (a reinstatement), by spreadsheet row number; a missing
    ``status_from`` makes a suspended, withdrawn or terminated row invalid."""
    out: dict[int, Row] = {}
    for row in rows:
        cells = table.documented(row.cells)
        status = (cells.get("status") or "").strip().lower() or "valid"
        since = (cells.get("status_from") or "").strip()
        if row.problems or status == "expired" or (status == "valid" and not since):
            continue
        if not since:
            row.fail(
                table.column_of("status_from"), "TN-IMP-4226", "ColumnInvalid",
                f"a {status} certificate needs the date it took effect", INVALID,
            )  # fmt: skip
            continue
        body = {
            "certificate": row.body["number"],
            "status": status,
            "effective_at": since,
            "reason": (cells.get("reason") or "").strip() or _DEFAULT_REASON,
        }
        out[row.number] = Row(row.number, row.cells, body)
    return out


def _settle(rows: list[Row]) -> None:
    """Refusals that mean the row is on the chain already become ``already-done``."""
    for row in rows:
        if row.problems and all(p["error"] in ALREADY for p in row.problems):
            row.problems.clear()
            row.outcome = DONE


def _merge(rows: list[Row], steps: dict[int, Row]) -> None:
    """A row's outcome is its status step's once its registration is done (now or before)."""
    for row in rows:
        step = steps.get(row.number)
        if step is None or row.problems:
            continue
        row.problems.extend(step.problems)
        row.outcome = step.outcome or row.outcome
        row.request_id = step.request_id or row.request_id
        row.block, row.tx_hash = step.block or row.block, step.tx_hash or row.tx_hash


def check_certificates(
    client: GatewayClient | None, kind: Kind, table: Table, rows: list[Row], quiet: bool
) -> None:
    """``--check``: the column rules, the registration as a dry run, and the status of every
    certificate already registered as a dry run (a new one's status is checked once it is)."""
    steps = status_rows(table, rows)
    check_rows(client, kind, table, rows, quiet)
    registered = {r.number for r in rows if r.problems and r.problems[0]["error"] in ALREADY}
    _settle(rows)
    ready = [s for n, s in steps.items() if n in registered]
    if client is not None and ready:
        check_rows(client, STATUS, table, ready, quiet)
        _settle(ready)
    _merge(rows, steps)


def import_certificates(
    client: GatewayClient, kind: Kind, table: Table, rows: list[Row], quiet: bool
) -> Summary:
    """Register every row (followed to its end), then state each listed status."""
    steps = status_rows(table, rows)
    first = submit_rows(client, kind, table, rows, quiet)
    _settle(rows)
    ready = [steps[r.number] for r in rows if r.number in steps and not r.problems]
    second = submit_rows(client, STATUS, table, ready, quiet) if ready else None
    _settle(ready)
    _merge(rows, steps)
    seconds = first.seconds + (second.seconds if second else 0.0)
    return Summary.of(rows, seconds)
