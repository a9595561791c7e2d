"""Choosing a Solidity compiler and running it on a standard-JSON input.

Path selection, first match wins:

1. ``$TRACENET_SOLC_BINARY``: a native ``solc``; it must exist and report the pinned version.
2. A native ``solc`` of the pinned version installed by py-solc-x (``~/.solcx/solc-v0.8.28``,
   e.g. after ``tracenet contracts build --install-solc`` on a connected machine), or a ``solc``
   on ``PATH`` that reports the pinned version.
3. solcjs: the official compiler built to WebAssembly, from ``node_modules/solc`` (npm, pinned in
   package-lock.json), run by ``node``.

Both paths receive the same text (see ``_sources.encode_input``); a native compiler goes through
``solcx.compile_standard``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import solcx
from solcx.exceptions import SolcError, SolcNotInstalled

from tracenet.contracts import _config
from tracenet.contracts._sources import encode_input
from tracenet.contracts.errors import ToolchainError

# Reads the input on stdin, writes the compiler's version on the first line and its raw output
# after it. Reading stdin with events works for pipes of any size (readFileSync(0) can hit EAGAIN).
_SOLCJS_SCRIPT = """
const solc = require(process.argv[1]);
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const output = solc.compile(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(solc.version() + "\\n" + output);
});
"""


@dataclass(frozen=True)
class Compiler:
    """A usable compiler: ``kind`` native (``path`` is the binary) or solcjs (the npm package)."""

    kind: Literal["native", "solcjs"]
    path: Path
    version: str

    def __str__(self) -> str:
        return f"solc {self.version} ({self.kind}: {self.path})"


def check_version(reported: str, where: str) -> None:
    """Raise ``ToolchainError`` unless ``reported`` is the pinned release and commit."""
    if reported != _config.SOLC_LONG_VERSION and not reported.startswith(
        _config.SOLC_LONG_VERSION + "."
    ):
        raise ToolchainError(
            f"{where} is solc {reported!r}; Tracenet is pinned to {_config.SOLC_LONG_VERSION}"
            " (contracts/_config.py)"
        )


def native_version(binary: Path) -> str:
    """The long version a native ``solc`` reports (``0.8.28+commit.7893614a``)."""
    try:
        return solcx.wrapper.get_version_str_from_solc_binary(binary)
    except (OSError, subprocess.CalledProcessError, SolcError) as exc:
        raise ToolchainError(f"cannot run {binary} --version: {exc}") from exc


def solcjs_version(package: Path) -> str:
    """The long version the solcjs package at ``package`` reports."""
    script = "process.stdout.write(require(process.argv[1]).version())"
    completed = _run_node(script, package, "")
    return completed.strip()


def select_compiler(
    env: Mapping[str, str] | None = None, node_modules: Path = _config.NODE_MODULES
) -> Compiler:
    """The compiler to use, following the order in the module docstring."""
    env = os.environ if env is None else env
    if named := env.get(_config.SOLC_BINARY_ENV):
        binary = Path(named)
        if not binary.is_file():
            raise ToolchainError(f"${_config.SOLC_BINARY_ENV} names {binary}, which does not exist")
        version = native_version(binary)
        check_version(version, f"${_config.SOLC_BINARY_ENV} ({binary})")
        return Compiler("native", binary, version)
    if (native := _installed_native()) is not None:
        return native
    package = node_modules / "solc"
    if (package / "soljson.js").is_file() and shutil.which("node"):
        version = solcjs_version(package)
        check_version(version, f"solcjs ({package})")
        return Compiler("solcjs", package, version)
    raise ToolchainError(
        f"no solc {_config.SOLC_VERSION}: set ${_config.SOLC_BINARY_ENV} to a native binary, or"
        " run `npm ci` (node and node_modules/solc), or `tracenet contracts build --install-solc`"
    )


def _installed_native() -> Compiler | None:
    candidates: list[Path] = []
    with contextlib.suppress(SolcNotInstalled):
        candidates.append(solcx.install.get_executable(version=_config.SOLC_VERSION))
    if on_path := shutil.which("solc"):
        candidates.append(Path(on_path))
    for binary in candidates:
        try:
            version = native_version(binary)
            check_version(version, str(binary))
        except ToolchainError:
            continue
        return Compiler("native", binary, version)
    return None


def install_native() -> Path:
    """Install the pinned native ``solc`` through py-solc-x (needs its download site)."""
    try:
        solcx.install_solc(_config.SOLC_VERSION)
    except Exception as exc:  # py-solc-x raises requests' and its own errors alike
        raise ToolchainError(f"cannot install solc {_config.SOLC_VERSION}: {exc}") from exc
    return solcx.install.get_executable(version=_config.SOLC_VERSION)


def run(compiler: Compiler, data: dict[str, Any]) -> dict[str, Any]:
    """The compiler's raw standard-JSON output for ``data`` (errors are left in it)."""
    if compiler.kind == "native":
        try:
            output: dict[str, Any] = solcx.compile_standard(data, solc_binary=compiler.path)
        except SolcError as exc:
            if exc.error_dict is None:
                raise ToolchainError(f"{compiler} failed: {exc}") from exc
            return {"errors": exc.error_dict}
        return output
    raw = _run_node(_SOLCJS_SCRIPT, compiler.path, encode_input(data))
    version, _, text = raw.partition("\n")
    check_version(version, str(compiler))
    return _parse_json(text, compiler)


def _run_node(script: str, package: Path, stdin: str) -> str:
    try:
        completed = subprocess.run(
            ["node", "-e", script, str(package)],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        raise ToolchainError(f"solcjs ({package}) failed: {exc}\n{stderr}") from exc
    return completed.stdout


def _parse_json(text: str, compiler: Compiler) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolchainError(f"{compiler} wrote no JSON: {text[:200]!r}") from exc
    return parsed
