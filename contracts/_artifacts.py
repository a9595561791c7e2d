"""Compiling the project and turning the output into committed, deterministic artifact files.

``contracts/build/<Name>.json`` for every contract and interface defined under ``contracts/src``
(and every library with an ABI), plus ``manifest.json`` with the compiler, the settings, the
SHA-256 of every source (OpenZeppelin's included) and of the standard-JSON input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracenet.contracts import _config
from tracenet.contracts._compiler import Compiler, run, select_compiler
from tracenet.contracts._sources import Sources, collect, input_sha256, standard_input
from tracenet.contracts.errors import (
    ArtifactError,
    CompilerError,
    CompilerMessage,
    StaleArtifactsError,
)


@dataclass(frozen=True)
class Build:
    """The result of a compile: the exact files to commit, by file name, and the warnings."""

    compiler: Compiler
    input: dict[str, Any]
    files: dict[str, str]
    warnings: tuple[CompilerMessage, ...]

    @property
    def contract_names(self) -> list[str]:
        return sorted(name.removesuffix(".json") for name in self.files if name != "manifest.json")


def compile_contracts(
    source_dir: Path = _config.SOURCE_DIR,
    *,
    compiler: Compiler | None = None,
    node_modules: Path = _config.NODE_MODULES,
) -> Build:
    """Compile every ``.sol`` below ``source_dir``; raise ``CompilerError`` on any error."""
    sources = collect(source_dir, node_modules)
    data = standard_input(sources)
    compiler = compiler or select_compiler(node_modules=node_modules)
    output = run(compiler, data)
    messages = [_message(raw, sources) for raw in output.get("errors", [])]
    if errors := [m for m in messages if m.severity == "error"]:
        raise CompilerError(errors)
    artifacts = _artifacts(output, sources)
    files = {f"{name}.json": _dump(artifact) for name, artifact in artifacts.items()}
    files[_config.MANIFEST_NAME] = _dump(_manifest(sources, data, sorted(artifacts)))
    return Build(
        compiler=compiler,
        input=data,
        files=dict(sorted(files.items())),
        warnings=tuple(m for m in messages if m.severity != "error"),
    )


def write_build(build: Build, build_dir: Path = _config.BUILD_DIR) -> list[str]:
    """Write the build's files, delete artifacts it no longer has; the names that changed."""
    build_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in build.files.items():
        path = build_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for path in sorted(build_dir.glob("*.json")):
        if path.name not in build.files:
            path.unlink()
            changed.append(path.name)
    return changed


def check_build(build: Build, build_dir: Path = _config.BUILD_DIR) -> None:
    """Raise ``StaleArtifactsError`` unless ``build_dir`` holds exactly the build's files."""
    present = {path.name for path in build_dir.glob("*.json")}
    stale = [
        name
        for name, text in build.files.items()
        if name in present and (build_dir / name).read_text(encoding="utf-8") != text
    ]
    missing = [name for name in build.files if name not in present]
    extra = sorted(present - set(build.files))
    if stale or missing or extra:
        raise StaleArtifactsError(stale, missing, extra)


def _artifacts(output: dict[str, Any], sources: Sources) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for unit in sources.project:
        compiled = output.get("contracts", {}).get(unit, {})
        for node in output["sources"][unit]["ast"]["nodes"]:
            if node.get("nodeType") != "ContractDefinition" or node.get("abstract"):
                continue
            name, kind = node["name"], node["contractKind"]
            evm = compiled[name]["evm"]
            abi = compiled[name]["abi"]
            if kind == "library" and not abi:
                continue  # internal helpers only: inlined, nothing to call or decode
            if name in found:
                raise ArtifactError(
                    f"contract name {name} is defined twice ({found[name]['sourceName']}, {unit})"
                )
            found[name] = {
                "abi": abi,
                "bytecode": "0x" + evm["bytecode"]["object"],
                "compiler": {"version": _config.SOLC_LONG_VERSION},
                "contractName": name,
                "deployedBytecode": "0x" + evm["deployedBytecode"]["object"],
                "kind": kind,
                "settings": _config.SETTINGS,
                "sourceName": unit,
            }
    return dict(sorted(found.items()))


def _manifest(sources: Sources, data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {
        "artifacts": names,
        "compiler": {"version": _config.SOLC_LONG_VERSION},
        "inputSha256": input_sha256(data),
        "settings": _config.SETTINGS,
        "sources": sources.sha256(),
    }


def _message(raw: dict[str, Any], sources: Sources) -> CompilerMessage:
    location = raw.get("sourceLocation") or {}
    file = location.get("file")
    start = location.get("start", -1)
    line = None
    if file in sources.contents and start >= 0:
        line = sources.contents[file].encode()[:start].count(b"\n") + 1
    return CompilerMessage(
        severity=raw.get("severity", "error"),
        type=raw.get("type", ""),
        message=raw.get("message", ""),
        file=file,
        line=line,
        formatted=raw.get("formattedMessage", raw.get("message", "")),
    )


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2) + "\n"
