"""Collecting the sources and building the compiler's standard-JSON input.

Python resolves every import itself and puts the ``content`` of every source file into the input,
so the compiler never reads the file system and every compiler path gets the very same bytes.

Source unit names: a project file is named by its path below the source directory
(``Ledger.sol``, ``interfaces/ILedger.sol``); an OpenZeppelin file by its import path
(``@openzeppelin/contracts/token/ERC1155/ERC1155.sol``), read from ``node_modules``.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracenet.contracts import _config
from tracenet.contracts.errors import SourceResolutionError

# One pass over the text: comments and string literals are matched (and skipped) so that an
# `import` inside them is never taken for a real one.
_TOKENS = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|\bimport\b([^;]*);""",
    re.DOTALL,
)
_IMPORT_PATH = re.compile(r"""["']([^"']+)["']""")


@dataclass(frozen=True)
class Sources:
    """Every source unit of a compile, by name, and which of them belong to the project."""

    contents: dict[str, str]
    project: tuple[str, ...]

    def sha256(self) -> dict[str, str]:
        """SHA-256 of each source's UTF-8 content, by unit name."""
        return {name: _sha256(text.encode()) for name, text in sorted(self.contents.items())}


def import_paths(text: str) -> list[str]:
    """The import paths of a Solidity source, in order of appearance."""
    paths = []
    for match in _TOKENS.finditer(text):
        body = match.group(1)
        if body is not None and (found := _IMPORT_PATH.search(body)):
            paths.append(found.group(1))
    return paths


def resolve_import(importer: str, path: str) -> str:
    """The source unit name that ``import path`` in the unit ``importer`` refers to.

    Relative paths (``./``, ``../``) are relative to the importer's directory, as solc does it;
    anything else is already a unit name.
    """
    if path.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    return path


def collect(source_dir: Path, node_modules: Path = _config.NODE_MODULES) -> Sources:
    """Every ``.sol`` file below ``source_dir`` and, transitively, every file they import."""
    project = sorted(p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*.sol"))
    contents: dict[str, str] = {}
    pending = [(name, "<source dir>") for name in project]
    while pending:
        name, importer = pending.pop()
        if name in contents:
            continue
        file = _locate(name, source_dir, node_modules)
        if not file.is_file():
            raise SourceResolutionError(importer, name, str(file))
        text = file.read_text(encoding="utf-8")
        contents[name] = text
        pending.extend((resolve_import(name, path), name) for path in import_paths(text))
    return Sources(contents=dict(sorted(contents.items())), project=tuple(project))


def _locate(name: str, source_dir: Path, node_modules: Path) -> Path:
    if name.startswith(_config.OPENZEPPELIN_PREFIX):
        return node_modules / name
    if name.startswith(("/", "../")):
        return Path("/nonexistent") / name  # outside the source tree: never resolvable
    return source_dir / name


def standard_input(sources: Sources) -> dict[str, Any]:
    """The standard-JSON input: all contents, the pinned settings, outputs for project files."""
    selection = {
        name: {"*": list(_config.OUTPUT_SELECTION), "": ["ast"]} for name in sources.project
    }
    settings = {**_config.SETTINGS, "outputSelection": selection}
    data: dict[str, Any] = _sorted(
        {
            "language": "Solidity",
            "sources": {name: {"content": text} for name, text in sources.contents.items()},
            "settings": settings,
        }
    )
    return data


def encode_input(data: dict[str, Any]) -> str:
    """The exact text sent to the compiler on either path.

    ``solcx.compile_standard`` serialises its input with a plain ``json.dumps(data)``; the input
    is built with sorted keys so that this text is canonical, and solcjs receives the same text.
    """
    return json.dumps(data)


def input_sha256(data: dict[str, Any]) -> str:
    """SHA-256 of the encoded standard-JSON input, as recorded in the manifest."""
    return _sha256(encode_input(data).encode())


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
