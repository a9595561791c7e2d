"""The one place where the compiler and its settings are pinned, and where the files live.

Changing anything here changes the bytecode: rebuild with ``tracenet contracts build`` and commit
the artifacts in the same commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

#: The Solidity compiler release every artifact is built with.
SOLC_VERSION: Final = "0.8.28"
#: Its commit; the long version string is ``0.8.28+commit.7893614a`` plus a platform suffix that
#: differs between the native build and solcjs (``.Linux.g++`` / ``.Emscripten.clang``).
SOLC_COMMIT: Final = "7893614a"
SOLC_LONG_VERSION: Final = f"{SOLC_VERSION}+commit.{SOLC_COMMIT}"

#: Compiler settings recorded in every artifact. ``bytecodeHash: none`` drops the metadata hash
#: from the bytecode so that it depends only on the sources and these settings. ``viaIR`` is on
#: because the ledger's event-rich operations are "stack too deep" for the legacy code generator.
SETTINGS: Final[dict[str, Any]] = {
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none"},
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": True,
}

#: What the compiler is asked to produce for the project's own source files (none for libraries).
OUTPUT_SELECTION: Final = (
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
)

#: Import prefix of OpenZeppelin, resolved inside ``node_modules``.
OPENZEPPELIN_PREFIX: Final = "@openzeppelin/contracts/"

#: Environment variable naming a native ``solc`` 0.8.28 executable to use instead of solcjs.
SOLC_BINARY_ENV: Final = "TRACENET_SOLC_BINARY"

PACKAGE_DIR: Final = Path(__file__).resolve().parent
PROJECT_ROOT: Final = PACKAGE_DIR.parent
SOURCE_DIR: Final = PACKAGE_DIR / "src"
BUILD_DIR: Final = PACKAGE_DIR / "build"
NODE_MODULES: Final = PROJECT_ROOT / "node_modules"
MANIFEST_NAME: Final = "manifest.json"
