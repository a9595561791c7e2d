"""One import, from the file to the result file: parse, (check), submit in batches, follow every
accepted request to its end, then write the result file and return the summary.

Each row's Idempotency-Key is ``import:<SHA-256 of the file>:<kind>:<row>``: the same file run
again, or resumed after a crash or Ctrl-C, gets the earlier requests back (``already done``)
instead of recording them twice. A row changed in the file changes the file's hash, so it is a
new import; the rows already on the chain are then recorded again only if their keys are new —
keep the result file and remove the done rows before re-sending an edited file.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from tracenet.erp._client import GatewayClient, chunks
from tracenet.erp._columns import Kind, build
from tracenet.erp._read import Table
from tracenet.erp.errors import GatewayUnavailable

__all__ = ["Row", "Summary", "check_rows", "prepare", "submit_rows", "write_report", "write_result"]

CONFIRMED, DONE, REJECTED, INVALID, PENDING = (
    "confirmed", "already-done", "rejected", "invalid", "pending",
)  # fmt: skip
RESULT_COLUMNS = ("request_id", "outcome", "block", "transaction", "code", "error", "message")


@dataclass
class Row:
    number: int  # spreadsheet row (header = 1)
    cells: dict[str, str]  # the file's columns, as read
    body: dict[str, Any]
    problems: list[dict[str, str]] = field(default_factory=list)  # column, code, error, message
    request_id: str = ""
    replay: bool = False
    outcome: str = ""
    block: int | None = None
    tx_hash: str = ""

    def fail(self, column: str, code: str, error: str, message: str, outcome: str) -> None:
        self.problems.append({"column": column, "code": code, "error": error, "message": message})
        self.outcome = outcome


@dataclass
class Summary:
    counts: Counter[str]
    reasons: Counter[str]
    seconds: float

    @classmethod
    def of(cls, rows: list[Row], seconds: float) -> Summary:
        """The outcomes of ``rows`` and the reasons of their problems."""
        counts: Counter[str] = Counter(r.outcome for r in rows)
        reasons: Counter[str] = Counter(
            f"{p['error']} ({p['column'] or 'row'})" for r in rows for p in r.problems
        )
        return cls(counts, reasons, seconds)

    def lines(self) -> list[str]:
        c = self.counts
        out = [
            f"{c[CONFIRMED]} confirmed, {c[DONE]} already done (skipped), "
            f"{c[REJECTED]} rejected, {c[INVALID]} invalid, {c[PENDING]} still pending"
            f" ({self.seconds:.1f} s)"
        ]
        out += [f"  {n} × {reason}" for reason, n in self.reasons.most_common()]
        return out


def prepare(kind: Kind, table: Table) -> list[Row]:
    """Every row parsed; a row breaking a column rule is ``invalid`` with each problem."""
    rows = []
    for number, cells in table.rows:
        body, errors = build(kind, table.documented(cells))
        row = Row(number, cells, body)
        for e in errors:
            row.fail(table.column_of(e.field or ""), e.code, "ColumnInvalid", e.message, INVALID)
        rows.append(row)
    return rows


def _column(kind: Kind, table: Table, gateway_field: str | None) -> str:
    """The file's column of a gateway body field (``lines[0]`` → ``lines``)."""
    if not gateway_field:
        return ""
    head = gateway_field.split("[")[0].split(".")[0]
    documented = next((c.name for c in kind.columns if c.key == head), head)
    return table.column_of(documented)


def _item(kind: Kind, table: Table, row: Row) -> dict[str, Any]:
    key = f"import:{table.digest}:{kind.name}:{row.number}"
    return {"kind": kind.route, "idempotency_key": key, "body": row.body}


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), _Rate(),
        TextColumn("ETA"), TimeRemainingColumn(),
        console=Console(stderr=True), disable=quiet, transient=False,
    )  # fmt: skip


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} rows/s" if speed else "– rows/s")


def _send(
    client: GatewayClient, kind: Kind, table: Table, rows: list[Row], *, dry_run: bool,
    progress: Progress, description: str,
) -> None:  # fmt: skip
    items = [_item(kind, table, r) for r in rows]
    settings = client.settings
    task = progress.add_task(description, total=len(rows))
    for run in chunks(items, settings.batch_bytes, settings.batch_items):
        results, retried = client.batch([items[i] for i in run], dry_run=dry_run)
        for i, result in zip(run, results, strict=True):
            row, status = rows[i], int(result["status"])
            if status in (200, 202):
                row.request_id, row.outcome = result["id"], PENDING
                row.replay = status == 200 and not retried
            elif status != 204:
                column = _column(kind, table, result.get("field"))
                row.fail(
                    column, str(result.get("code")), str(result.get("error")),
                    str(result.get("message")), REJECTED,
                )  # fmt: skip
        progress.advance(task, len(run))


def check_rows(
    client: GatewayClient | None, kind: Kind, table: Table, rows: list[Row], quiet: bool
) -> None:
    """``--check``: the column rules, then (with a client) the gateway's checks as a dry run."""
    valid = [r for r in rows if not r.problems]
    if client is not None and valid:
        with _progress(quiet) as progress:
            _send(
                client, kind, table, valid, dry_run=True, progress=progress, description="checked"
            )


def submit_rows(
    client: GatewayClient, kind: Kind, table: Table, rows: list[Row], quiet: bool
) -> Summary:
    start = time.monotonic()
    valid = [r for r in rows if not r.problems]
    with _progress(quiet) as progress:
        _send(client, kind, table, valid, dry_run=False, progress=progress, description="accepted")
        _follow(client, [r for r in valid if r.request_id], progress)
    return Summary.of(rows, time.monotonic() - start)


def _follow(client: GatewayClient, rows: list[Row], progress: Progress) -> None:
    """Poll the accepted requests until each is confirmed or rejected (or the wait ends)."""
    task = progress.add_task("recorded", total=len(rows))
    open_rows = {r.request_id: r for r in rows}
    deadline = time.monotonic() + client.settings.wait_timeout
    while open_rows and time.monotonic() < deadline:
        ids = list(open_rows)
        for start in range(0, len(ids), 1000):
            for state in client.lookup(ids[start : start + 1000]):
                row = open_rows[state["id"]]
                if state["status"] == "confirmed":
                    row.outcome = DONE if row.replay else CONFIRMED
                elif state["status"] in ("rejected", "unknown"):
                    message = state.get("message") or (
                        "reverted on chain" if state["status"] == "rejected" else "not found"
                    )
                    row.fail("", "", state.get("error") or "Rejected", message, REJECTED)
                else:
                    continue
                row.block, row.tx_hash = state.get("block_number"), state.get("tx_hash") or ""
                del open_rows[state["id"]]
                progress.advance(task)
        if open_rows:
            time.sleep(client.settings.poll_interval)
    if open_rows:
        raise GatewayUnavailable(
            f"{len(open_rows)} accepted rows were not final after {client.settings.wait_timeout}"
            " s; they go on at the gateway: run the same file again to follow them"
        )


def write_result(path: Path, table: Table, rows: list[Row]) -> None:
    """The file's rows with request id, outcome, block, transaction and the first problem."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", *table.header, *RESULT_COLUMNS])
        for r in rows:
            first = r.problems[0] if r.problems else {}
            writer.writerow([
                r.number, *(r.cells.get(h, "") for h in table.header), r.request_id, r.outcome,
                "" if r.block is None else r.block, r.tx_hash, first.get("code", ""),
                first.get("error", ""), first.get("message", ""),
            ])  # fmt: skip


def write_report(path: Path, rows: list[Row]) -> int:
    """``--check``'s error report: one line per problem (row, column, code, error, message)."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "column", "code", "error", "message"])
        for r in rows:
            for p in r.problems:
                writer.writerow([r.number, p["column"], p["code"], p["error"], p["message"]])
                n += 1
    return n
