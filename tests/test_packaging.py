"""What `pip install .` installs: the `tracenet` namespace and its console script, nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = {"contracts", "node", "wallet", "gateway", "indexer", "erp", "console"}


def _source_tree(into: Path) -> Path:
    """What the wheel is built from, copied (setuptools builds in the source tree: not in ours)."""
    into.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, into / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", "bench")
    for name in ("tracenet", *COMPONENTS):
        shutil.copytree(ROOT / name, into / name, symlinks=True, ignore=ignore)
    return into


def test_the_wheel_installs_only_the_tracenet_namespace(tmp_path: Path) -> None:
    source = _source_tree(tmp_path / "src")
    build = ["wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(tmp_path)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build, str(source)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("tracenet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"tracenet"}, top
    packages = {n.split("/")[1] for n in names if n.startswith("tracenet/") and n.count("/") > 1}
    assert packages >= COMPONENTS, COMPONENTS - packages
    # the package data every component reads at run time travels with it
    assert any(n.startswith("tracenet/contracts/build/") and n.endswith(".json") for n in names)
    assert any(n.startswith("tracenet/console/static/") for n in names)
    assert any(n.startswith("tracenet/node/demo/") and n.endswith(".yaml") for n in names)
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "tracenet = tracenet.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_no_component_is_importable_under_a_generic_name() -> None:
    script = (
        "import importlib.util, sys\n"
        f"found = [n for n in {sorted(COMPONENTS)!r} if importlib.util.find_spec(n)]\n"
        "print(','.join(found))\n"
    )
    # -P: the repository itself (the working directory) is not on the path, as for an installed user
    run = subprocess.run(
        [sys.executable, "-P", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert run.stdout.strip() == ""
