"""Reading an ERP export: CSV (comma, semicolon or tab; UTF-8 with or without BOM) or XLSX (the
first sheet), with an optional mapping file from a party's own column names to the documented
ones. Rows are numbered as the spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tracenet.erp._columns import Kind
from tracenet.erp.errors import FileError

__all__ = ["Table", "load_mapping", "read_table"]


@dataclass(frozen=True)
class Table:
    """A file's rows under the documented column names, and what identifies the file."""

    path: Path
    digest: str  # SHA-256 of the file's bytes: the root of every row's idempotency key
    header: list[str]  # the file's own column names, in order
    rename: dict[str, str]  # the file's name → the documented name
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, file's name → text)

    def documented(self, row: dict[str, str]) -> dict[str, str]:
        return {self.rename.get(k, k): v for k, v in row.items()}

    def column_of(self, documented: str) -> str:
        """The file's own name of a documented column (for error reports)."""
        return next((k for k, v in self.rename.items() if v == documented), documented)


def load_mapping(path: Path | None) -> dict[str, str]:
    """``documented name: the file's name`` pairs from a YAML (or JSON) file."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FileError(f"cannot read the mapping file {path}: {exc}", field="mapping") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise FileError(
            f"{path}: the mapping is 'documented column: your column' lines", field="mapping"
        )
    return dict(data)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double: 0.1, not 0.1000000001
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _csv_rows(raw: bytes, path: Path) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"{path} is not UTF-8 text: {exc}", field="file") from exc
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(raw: bytes, path: Path) -> list[list[str]]:
    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileError(f"{path} is not a readable XLSX workbook: {exc}", field="file") from exc
    sheet = book.worksheets[0]
    rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def read_table(path: Path, kind: Kind, mapping: dict[str, str]) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror}", field="file") from exc
    is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm") or raw[:2] == b"PK"
    grid = _xlsx_rows(raw, path) if is_xlsx else _csv_rows(raw, path)
    if not grid or not any(grid[0]):
        raise FileError(f"{path} has no header row", field="file")
    header = [h.strip() for h in grid[0]]
    theirs_to_ours = {theirs: ours for ours, theirs in mapping.items()}
    rename = {name: theirs_to_ours.get(name, name) for name in header}
    known = set(rename.values())
    missing = [c.name for c in kind.columns if c.required and c.name not in known]
    if missing:
        shown = ", ".join(mapping.get(m, m) for m in missing)
        raise FileError(
            f"{path}: the header lacks the column(s) {shown} of kind {kind.name}"
            " (erp/COLUMNS.md; a --mapping file renames your columns)",
            field=missing[0],
        )
    rows = []
    for number, cells in enumerate(grid[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append(
            (number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)})
        )
    return Table(path, hashlib.sha256(raw).hexdigest(), header, rename, rows)
