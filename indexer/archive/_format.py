"""The archive's files and how each line is written (the README's "Archive format" states the
same): JSON Lines, one object a line, keys in snake_case, enumerations by name, bytes as ``0x``
hex, integers beyond 2^53 as decimal strings, instants as ISO-8601 beside their unix seconds.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ABI_DIR",
    "BLOCKS",
    "DOCUMENTS_DIR",
    "EVENTS",
    "FORMAT",
    "LOGS",
    "MANIFEST",
    "VERSION",
    "VIEWS",
    "file_digest",
    "jsonable",
    "read_lines",
    "write_lines",
]

FORMAT = "tracenet-archive"
VERSION = 1
MANIFEST = "manifest.json"
BLOCKS = "blocks.jsonl"
LOGS = "logs.jsonl"
EVENTS = "events.jsonl"
VIEWS = "views.json"
ABI_DIR = "abi"
DOCUMENTS_DIR = "documents"

_SAFE = 2**53 - 1


def jsonable(value: Any) -> Any:
    """``value`` in the archive's JSON convention (records by their Python field names)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"not archivable: {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def write_lines(path: Path, rows: Iterable[Any]) -> int:
    """Write ``rows`` as JSON Lines; how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(_dumps(row) + "\n")
            count += 1
    return count


def read_lines(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path.name} line {number}: not JSON ({exc})") from exc


def file_digest(path: Path) -> str:
    """SHA-256 of a file, as 64 hex digits."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
