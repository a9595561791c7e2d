"""Reading the committed artifacts (``contracts/build/<Name>.json``)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracenet.contracts import _config
from tracenet.contracts.errors import ArtifactNotFoundError


@dataclass(frozen=True)
class Artifact:
    """A compiled contract, interface or library, as committed under ``contracts/build``."""

    contract_name: str
    source_name: str
    kind: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str

    @property
    def deployable(self) -> bool:
        """True for a contract with creation code (not an interface)."""
        return self.kind == "contract" and self.bytecode not in ("", "0x")


def artifact_names(build_dir: Path | None = None) -> list[str]:
    """Names of every committed artifact, sorted."""
    return list(_names(build_dir or _config.BUILD_DIR))


def load_artifact(name: str, build_dir: Path | None = None) -> Artifact:
    """The committed artifact of contract ``name``; ``ArtifactNotFoundError`` if there is none."""
    return _load(name, build_dir or _config.BUILD_DIR)


@functools.cache
def _names(build_dir: Path) -> tuple[str, ...]:
    return tuple(
        sorted(path.stem for path in build_dir.glob("*.json") if path.name != _config.MANIFEST_NAME)
    )


@functools.cache
def _load(name: str, build_dir: Path) -> Artifact:
    path = build_dir / f"{name}.json"
    if name not in _names(build_dir):
        raise ArtifactNotFoundError(name, _names(build_dir))
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Artifact(
        contract_name=raw["contractName"],
        source_name=raw["sourceName"],
        kind=raw["kind"],
        abi=raw["abi"],
        bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"],
        compiler_version=raw["compiler"]["version"],
    )


def clear_cache() -> None:
    """Forget artifacts read so far (after ``tracenet contracts build`` in the same process)."""
    _names.cache_clear()
    _load.cache_clear()
