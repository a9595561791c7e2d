"""One error-code format (``tracenet.kit.errors``): every table's codes are of it and of their
status, each ERRORS.md is its table's generated text, and no code of the old four-digit format
(whose 422 codes 4230 … 4266 read as 423 … 426) is left anywhere in the tree."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracenet.console import errors as console
from tracenet.gateway import errors as gateway
from tracenet.indexer import errors as indexer
from tracenet.kit.errors import ErrorCode, code_table, error_code, errors_markdown, parse_code

ROOT = Path(__file__).resolve().parents[1]
TABLES = {"GW": gateway.CODES, "IX": indexer.CODES, "CO": console.CODES}
DOCUMENTS: dict[str, Callable[[], str]] = {
    "gateway": gateway.errors_document,
    "indexer": indexer.errors_document,
    "console": console.errors_document,
}
SKIP = {".git", "node_modules", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache",
        ".pytest_cache", ".hypothesis", ".tracenet"}  # fmt: skip
TEXT = {".py", ".md", ".html", ".j2", ".yaml", ".yml", ".json", ".txt", ".toml", ".js", ".css",
        ".sh", ".cfg", ".ini", ".csv", ".sol"}  # fmt: skip


def _texts() -> list[tuple[str, str]]:
    """(path, text) of every text file of the repository (no symlinked folder twice)."""
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.endswith(".egg-info")
                   and not os.path.islink(os.path.join(folder, d))]  # fmt: skip
        for name in names:
            path = Path(folder) / name
            if path.suffix in TEXT or name in ("Makefile", "Dockerfile"):
                try:
                    found.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
                except (UnicodeDecodeError, OSError):
                    continue
    return found


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_each_errors_md_is_its_generated_text(service: str) -> None:
    text = (ROOT / service / "ERRORS.md").read_text(encoding="utf-8")
    assert text == DOCUMENTS[service](), (
        f"regenerate: tracenet {service} errors > {service}/ERRORS.md"
    )


@pytest.mark.parametrize("service", sorted(TABLES))
def test_every_code_is_of_the_format_and_its_status(service: str) -> None:
    table = TABLES[service]
    assert table
    for code, row in table.items():
        assert code == row.code
        assert re.fullmatch(rf"TN-{service}-[1-5][0-9]{{2}}-[0-9]{{2}}", code), code
        assert code.split("-")[2] == str(row.status), code
        assert parse_code(code) == (service, row.status, row.serial)
        assert 400 <= row.status <= 599 and row.error.isidentifier() and row.meaning


def test_no_old_format_code_is_left_in_the_tree() -> None:
    old = re.compile(r"TN-(GW|IX|CO)-\d{4}\b")
    left = [f"{path}: {m[0]}" for path, text in _texts() for m in old.finditer(text)]
    assert left == [], "rename them: python3 recode.py <root> (TN-S-dddd -> TN-S-<status>-<nn>)"


def test_every_code_the_tree_names_is_a_row_of_its_table() -> None:
    named = re.compile(r"TN-(GW|IX|CO)-\d{3}-\d{2}\b")
    unknown = [f"{path}: {m[0]}" for path, text in _texts() for m in named.finditer(text)
               if m[0] not in TABLES[m[1]]]  # fmt: skip
    assert unknown == []


def test_the_console_raises_its_codes_with_their_status_and_name() -> None:
    calls = 0
    for path in sorted((ROOT / "console").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"(?:(\d{3}),\s*)?\"(TN-CO-[0-9-]+)\",\s*\"(\w+)\"", text):
            row = console.CODES[m[2]]
            assert m[1] is None or int(m[1]) == row.status, (path.name, m[0])
            assert m[3] == row.error, (path.name, m[0])
            calls += 1
    assert calls >= 10  # every ApiError / FormRefused the console raises with a code of its own
    assert console.framework_code(404) in console.CODES


@given(
    st.sampled_from(["GW", "IX", "CO"]),
    st.integers(min_value=100, max_value=599),
    st.integers(min_value=0, max_value=99),
)
def test_a_code_is_its_service_status_and_serial(service: str, status: int, serial: int) -> None:
    code = error_code(service, status, serial)
    assert parse_code(code) == (service, status, serial)
    assert code == f"TN-{service}-{status}-{serial:02d}"
    assert not re.search(r"TN-\w+-\d{4}", code)  # never four digits that read as a status


@pytest.mark.parametrize(
    ("service", "status", "serial"), [("XX", 422, 1), ("GW", 42, 1), ("GW", 422, 100)]
)
def test_a_code_out_of_the_format_is_refused(service: str, status: int, serial: int) -> None:
    with pytest.raises(ValueError):
        error_code(service, status, serial)


def test_a_row_whose_status_is_not_its_codes_is_refused() -> None:
    with pytest.raises(ValueError, match="is a 422 code, not 426"):
        ErrorCode(error_code("GW", 422, 42), 426, "RollingShareMismatch", "…")
    with pytest.raises(ValueError, match="not a code of the form"):
        ErrorCode("TN-GW-" + "4262", 422, "RollingShareMismatch", "…")
    row = ErrorCode("TN-GW-422-01", 422, "A", "…")
    with pytest.raises(ValueError, match="both A and B"):
        code_table([row, ErrorCode("TN-GW-422-01", 422, "B", "…")])
    with pytest.raises(ValueError, match="not codes of the indexer"):
        errors_markdown("IX", [row], "")
