"""The compile step: sources, compiler selection, version pin, errors, artifacts, staleness."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tracenet.cli import main
from tracenet.contracts import _compiler, _config
from tracenet.contracts._artifacts import Build, check_build, compile_contracts, write_build
from tracenet.contracts._compiler import Compiler, check_version, select_compiler
from tracenet.contracts._sources import (
    collect,
    encode_input,
    import_paths,
    resolve_import,
    standard_input,
)
from tracenet.contracts.errors import (
    CompilerError,
    SourceResolutionError,
    StaleArtifactsError,
    ToolchainError,
)

# A small project: an interface with errors and events, an OpenZeppelin import, an abstract base,
# an internal-only library, and decoy imports in comments and strings.
FIXTURE: dict[str, str] = {
    "interfaces/IThing.sol": """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice A thing. // import "not/a/real.sol";
interface IThing {
    error ThingNotOwner(address caller);
    error ThingTooBig(uint256 value, uint256 max);
    event ThingSet(address indexed by, uint256 value, string note);
    function set(uint256 value, string calldata note) external;
}
""",
    "Thing.sol": """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IThing} from "./interfaces/IThing.sol";
import {Maths} from "lib/Maths.sol";
/* import "nope.sol"; */

abstract contract Base { function base() external pure returns (uint256) { return 1; } }

contract Thing is IThing, Base, Ownable {
    uint256 public value;
    string private constant DECOY = "import 'decoy.sol';";
    constructor(address owner_) Ownable(owner_) {}
    function set(uint256 v, string calldata note) external {
        if (msg.sender != owner()) revert ThingNotOwner(msg.sender);
        if (v > 100) revert ThingTooBig(v, 100);
        value = Maths.double(v) / 2;
        emit ThingSet(msg.sender, v, note);
    }
    function fail(string calldata reason) external pure { revert(reason); }
    function bare() external pure { revert(); }
    function divide(uint256 x) external pure returns (uint256) { return 10 / x; }
}
""",
    "lib/Maths.sol": """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

library Maths { function double(uint256 x) internal pure returns (uint256) { return 2 * x; } }
""",
}

# A native `solc` stand-in: answers --version like the Linux build and compiles with solcjs,
# recording the exact standard-JSON text it receives.
SHIM = """#!/bin/sh
if [ "$1" = "--version" ]; then
  printf 'solc, the solidity compiler commandline interface\\nVersion: {version}.Linux.g++\\n'
  exit 0
fi
tee {record} | node -e '{script}' {package}
"""
SHIM_SCRIPT = (
    "const s = require(process.argv[1]); const c = [];"
    ' process.stdin.on("data", (d) => c.push(d));'
    ' process.stdin.on("end", () => process.stdout.write(s.compile(Buffer.concat(c).toString())));'
)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def make_shim(directory: Path, version: str = _config.SOLC_LONG_VERSION) -> tuple[Path, Path]:
    shim, record = directory / "solc", directory / "stdin.json"
    package = _config.NODE_MODULES / "solc"
    text = SHIM.format(version=version, record=record, script=SHIM_SCRIPT, package=package)
    shim.write_text(text)
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return shim, record


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("src"), FIXTURE)


@pytest.fixture(scope="module")
def solcjs() -> Compiler:
    return select_compiler(env={})


@pytest.fixture(scope="module")
def fixture_build(fixture_dir: Path, solcjs: Compiler) -> Build:
    return compile_contracts(fixture_dir, compiler=solcjs)


@pytest.fixture(scope="module")
def project_build() -> Build:
    return compile_contracts()


def test_committed_artifacts_match_a_fresh_compile(project_build: Build) -> None:
    check_build(project_build, _config.BUILD_DIR)


def test_manifest_hashes_every_source_and_the_input(project_build: Build) -> None:
    manifest = json.loads(project_build.files["manifest.json"])
    assert manifest["compiler"]["version"] == _config.SOLC_LONG_VERSION
    assert manifest["settings"] == _config.SETTINGS
    assert set(manifest["sources"]) == set(project_build.input["sources"])
    assert any(name.startswith("@openzeppelin/") for name in manifest["sources"])
    assert {"Consortium", "Catalog", "Ledger"} <= set(manifest["artifacts"])


def test_imports_in_comments_and_strings_are_ignored() -> None:
    text = FIXTURE["Thing.sol"] + FIXTURE["interfaces/IThing.sol"]
    assert import_paths(text) == [
        "@openzeppelin/contracts/access/Ownable.sol",
        "./interfaces/IThing.sol",
        "lib/Maths.sol",
    ]


def test_relative_imports_resolve_against_the_importer() -> None:
    oz = "@openzeppelin/contracts/access/Ownable.sol"
    assert resolve_import(oz, "../utils/Context.sol") == "@openzeppelin/contracts/utils/Context.sol"
    assert resolve_import("a/B.sol", "./c/D.sol") == "a/c/D.sol"
    assert resolve_import("a/B.sol", "lib/X.sol") == "lib/X.sol"


def test_collect_inlines_openzeppelin_and_project_sources(fixture_dir: Path) -> None:
    sources = collect(fixture_dir)
    assert sources.project == ("Thing.sol", "interfaces/IThing.sol", "lib/Maths.sol")
    assert "@openzeppelin/contracts/utils/Context.sol" in sources.contents
    assert list(sources.contents) == sorted(sources.contents)


def test_missing_import_is_reported_with_its_importer(tmp_path: Path) -> None:
    write_tree(tmp_path, {"A.sol": 'import "./Gone.sol";\n'})
    with pytest.raises(SourceResolutionError) as info:
        collect(tmp_path)
    assert (info.value.importer, info.value.path) == ("A.sol", "Gone.sol")


def test_artifacts_cover_project_contracts_and_interfaces_only(fixture_build: Build) -> None:
    assert fixture_build.contract_names == ["IThing", "Thing"]  # no Base, Maths, Ownable
    thing = json.loads(fixture_build.files["Thing.json"])
    assert thing["kind"] == "contract" and len(thing["bytecode"]) > 100
    assert thing["sourceName"] == "Thing.sol"
    assert thing["compiler"] == {"version": _config.SOLC_LONG_VERSION}
    assert {e["name"] for e in thing["abi"] if e["type"] == "error"} >= {"ThingNotOwner"}
    assert json.loads(fixture_build.files["IThing.json"])["bytecode"] == "0x"
    for text in fixture_build.files.values():
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"


def test_native_and_solcjs_get_byte_identical_input(
    fixture_dir: Path, fixture_build: Build, solcjs: Compiler, tmp_path: Path
) -> None:
    sent: list[str] = []
    real_run = subprocess.run

    def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["input"])
        return real_run(*args, **kwargs)

    shim, record = make_shim(tmp_path)
    native = select_compiler(env={_config.SOLC_BINARY_ENV: str(shim)})
    assert native.kind == "native"
    via_native = compile_contracts(fixture_dir, compiler=native)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compiler.subprocess, "run", spy)
        via_solcjs = compile_contracts(fixture_dir, compiler=solcjs)
    assert record.read_text() == sent[-1] == encode_input(standard_input(collect(fixture_dir)))
    assert via_native.files == via_solcjs.files == fixture_build.files


def test_selection_prefers_env_then_solcx_then_solcjs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shim, _ = make_shim(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(_compiler.solcx.install, "get_executable", lambda version: shim)
    assert select_compiler(env={}) == Compiler("native", shim, _config.SOLC_LONG_VERSION)

    def not_installed(version: str) -> Path:
        raise _compiler.SolcNotInstalled(version)

    monkeypatch.setattr(_compiler.solcx.install, "get_executable", not_installed)
    assert select_compiler(env={}).kind == "solcjs"
    with pytest.raises(ToolchainError, match="does not exist"):
        select_compiler(env={_config.SOLC_BINARY_ENV: str(tmp_path / "nowhere")})
    with pytest.raises(ToolchainError, match="no solc"):
        select_compiler(env={}, node_modules=tmp_path)


def test_version_pin_is_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_version("0.8.28+commit.7893614a.Emscripten.clang", "solcjs")
    for wrong in ("0.8.27+commit.40a35a09.Linux.g++", "0.8.28+commit.00000000", "0.8.280"):
        with pytest.raises(ToolchainError, match="pinned"):
            check_version(wrong, "test")
    shim, _ = make_shim(tmp_path, version="0.8.27+commit.40a35a09")
    with pytest.raises(ToolchainError, match=r"0\.8\.27"):
        select_compiler(env={_config.SOLC_BINARY_ENV: str(shim)})
    # An installed one of the wrong version is passed over, not used.
    monkeypatch.setattr(_compiler.solcx.install, "get_executable", lambda version: shim)
    assert select_compiler(env={}).kind == "solcjs"


def test_compiler_errors_name_file_and_line(tmp_path: Path, solcjs: Compiler) -> None:
    write_tree(
        tmp_path,
        {"ok/Fine.sol": "pragma solidity 0.8.28;\ncontract Fine {}\n"}
        | {"Broken.sol": "pragma solidity 0.8.28;\n\ncontract Broken {\n  uint256 x = true;\n}\n"},
    )
    with pytest.raises(CompilerError) as info:
        compile_contracts(tmp_path, compiler=solcjs)
    [message] = info.value.messages
    assert (message.file, message.line, message.type) == ("Broken.sol", 4, "TypeError")
    assert "Broken.sol:4" in str(info.value)


def test_warnings_are_returned_not_raised(tmp_path: Path, solcjs: Compiler) -> None:
    source = "pragma solidity 0.8.28;\ncontract W { function f() external pure { uint256 u; } }\n"
    write_tree(tmp_path, {"W.sol": source})
    build = compile_contracts(tmp_path, compiler=solcjs)
    assert build.contract_names == ["W"]
    assert any(w.severity == "warning" and w.line == 2 for w in build.warnings)


def test_check_names_stale_missing_and_extra_files(fixture_build: Build, tmp_path: Path) -> None:
    assert write_build(fixture_build, tmp_path) == ["IThing.json", "Thing.json", "manifest.json"]
    assert write_build(fixture_build, tmp_path) == []
    check_build(fixture_build, tmp_path)
    (tmp_path / "Thing.json").write_text("{}\n")
    (tmp_path / "IThing.json").unlink()
    (tmp_path / "Old.json").write_text("{}\n")
    with pytest.raises(StaleArtifactsError) as info:
        check_build(fixture_build, tmp_path)
    assert info.value.stale == ("Thing.json",)
    assert info.value.missing == ("IThing.json",)
    assert info.value.extra == ("Old.json",)


def test_cli_build_then_check(
    fixture_dir: Path,
    fixture_build: Build,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracenet.contracts import _cli

    monkeypatch.setattr(_cli, "compile_contracts", lambda source_dir: fixture_build)
    dirs = ["--source-dir", str(fixture_dir), "--build-dir", str(tmp_path)]
    assert main(["contracts", "build", *dirs]) == 0
    assert main(["contracts", "check", *dirs]) == 0
    (tmp_path / "Thing.json").write_text("{}\n")
    capsys.readouterr()
    assert main(["contracts", "check", *dirs]) == 1
    assert "stale: Thing.json" in capsys.readouterr().err
