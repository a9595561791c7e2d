"""The house's layout: floors that import only downwards, one exception root, one RPC client.

Floors, lowest first: ``tracenet.kit`` (what every component shares), ``contracts`` (the ledger's
vocabulary), ``wallet``, ``node``, the services (``gateway``, ``indexer``), their clients
(``erp``, ``console``), the command line (``tracenet.cli``), and the demo that drives it
(``tracenet.demo``). A module
may import its own component and anything on a lower floor, never a higher one or a sibling.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import tracenet
from tracenet.kit.errors import TracenetError

ROOT = Path(__file__).resolve().parents[1]
FLOOR = {
    "kit": 0,
    "contracts": 1,
    "wallet": 2,
    "node": 3,
    "gateway": 4,
    "indexer": 4,
    "erp": 5,
    "console": 5,
    "cli": 6,
    "demo": 7,
}
FOLDER = {name: ROOT / name for name in ("contracts", "wallet", "node", "gateway", "indexer")}
FOLDER |= {"erp": ROOT / "erp", "console": ROOT / "console"}
FOLDER |= {"kit": ROOT / "tracenet" / "kit", "demo": ROOT / "tracenet" / "demo"}


def _sources() -> list[tuple[str, Path]]:
    out = [(c, p) for c, folder in FOLDER.items() for p in sorted(folder.rglob("*.py"))]
    return [*out, ("cli", ROOT / "tracenet" / "cli.py")]


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def test_every_import_runs_down_the_floors() -> None:
    upward = []
    for component, path in _sources():
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] in FLOOR and parts[0] not in ("kit", "cli", "demo"):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {module} (not tracenet.*)")
                continue
            if parts[0] != "tracenet" or len(parts) < 2:
                continue
            target = parts[1]
            if target == component:
                continue
            if target not in FLOOR or FLOOR[target] >= FLOOR[component]:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert upward == []


def test_no_plain_web3_provider_outside_contracts() -> None:
    """Every JSON-RPC client is ``contracts.connect`` / ``RpcClient``: a plain provider lacks the
    QBFT header middleware and fails on a Besu network (it did once, twice)."""
    offenders = []
    folders = [*FOLDER.values(), ROOT / "benchmarks"]
    for path in (p for folder in folders for p in folder.rglob("*.py")):
        if path.is_relative_to(ROOT / "contracts"):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("HTTPProvider(", "AsyncHTTPProvider(", "WebSocketProvider(", "IPCProvider("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(tracenet.__path__, "tracenet."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


#: Modules run as scripts in isolation (``python -I``), importing nothing of Tracenet on purpose:
#: the declaration check's PDF worker starts in a fifth of a second instead of seconds; the pool
#: turns its errors into the indexer's.
ISOLATED = {"tracenet.indexer.verifier._pdf_worker"}


@pytest.mark.parametrize("name", [m for m in _modules() if m not in ISOLATED])
def test_every_error_derives_from_the_one_root(name: str) -> None:
    module = importlib.import_module(name)
    strays = [
        cls.__qualname__
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception)  # a BaseException like the demo's Interrupted is a signal
        and cls.__module__ == name
        and not cls.__name__.startswith("_")
        and not issubclass(cls, TracenetError)
    ]
    assert strays == [], f"{name}: {strays} do not derive from tracenet.kit.errors.TracenetError"


#: The gateway's rooms, lowest first: its shared modules (errors, settings, JSON, logs), the
#: durable ``pipeline`` (store, chain, keys, signing, tracking), the domain ``operations`` (what a
#: write is and its checks before signing), the HTTP ``api``, and on top what assembles them
#: (``main``, ``_cli``, the package's ``__init__``). A room imports only its own and lower rooms.
GATEWAY_ROOMS = {
    "errors": 0,
    "_settings": 0,
    "_jsonable": 0,
    "_log": 0,
    "pipeline": 1,
    "operations": 2,
    "api": 3,
    "main": 4,
    "_cli": 4,
    "__init__": 4,
}


def _room(parts: tuple[str, ...]) -> int:
    return GATEWAY_ROOMS[parts[0].removesuffix(".py")]


def test_the_gateway_rooms_import_only_downwards() -> None:
    upward, unknown = [], []
    for path in sorted(FOLDER["gateway"].rglob("*.py")):
        relative = path.relative_to(FOLDER["gateway"])
        if relative.parts[0] == "migrations":
            continue
        if relative.parts[0].removesuffix(".py") not in GATEWAY_ROOMS:
            unknown.append(str(relative))
            continue
        for line, module in _imports(path):
            parts = tuple(module.split("."))
            if parts[:2] != ("tracenet", "gateway"):
                continue
            if len(parts) == 2 or parts[2] not in GATEWAY_ROOMS:
                upward.append(f"gateway/{relative}:{line} imports {module} (name a room's module)")
            elif _room(parts[2:]) > _room(relative.parts):
                upward.append(f"gateway/{relative}:{line} imports {module}")
    assert unknown == [], f"modules in no room of the gateway: {unknown}"
    assert upward == []
