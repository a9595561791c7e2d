"""Mutation runner (issue 26): does each rule have a test that fails when the rule is broken?

``python tests/mutate.py`` (``make mutate``) reads ``tests/mutations.yaml``, copies the tree into
a temporary directory once, and for each mutation, one at a time, in that copy only: replaces the
original snippet with the mutated one, recompiles the contracts when the file is Solidity (into
the copy's ``contracts/build``; the committed artifacts are never touched), runs the mutation's
tests with a time bound, and puts the file and the build back. A mutation is **caught** when a
test fails (or the time bound is hit), **survived** when every test passes, **invalid** when it
does not compile or its tests cannot run. The working tree is never modified, so Ctrl-C at any
moment leaves it as it was; the copy is deleted on exit.

Before the first mutation each distinct test selection runs once on the unmutated copy: a
selection that fails already would make every one of its mutations look caught (exit 2).

Prints a table (mutation, rule, outcome, the first failing test, seconds); ``--json FILE`` also
writes the results as JSON (``-`` for stdout). Exit 0 when every mutation was caught, 1 when one
survived or was invalid, 2 when the list or the baseline is wrong.

    python tests/mutate.py                          # all of them
    python tests/mutate.py ledger-transfer-outside-boundary gateway-cap-compare
    python tests/mutate.py --rule R7 --json out.json
    python tests/mutate.py --check                  # only check the list against the sources
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = ROOT / "tests" / "mutations.yaml"
#: Not copied: the copy links to the shared toolchain and needs none of the caches.
SKIP = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache",
        ".hypothesis", ".tracenet", "__pycache__", "dist", "build.tmp"}  # fmt: skip
RULE = re.compile(r"^R([1-9]|1[0-3])$")
#: pytest: no xdist (one mutation at a time, in order), stop at the first failure.
PYTEST = ["-p", "no:cacheprovider", "-n", "0", "-x", "-q", "-rf", "--no-header"]


@dataclass(frozen=True)
class Mutation:
    id: str
    rule: str
    file: str
    original: str
    mutated: str
    tests: str
    why: str

    @property
    def solidity(self) -> bool:
        return self.file.endswith(".sol")


@dataclass
class Result:
    id: str
    rule: str
    file: str
    line: int
    outcome: str  # caught | survived | invalid
    by: str  # the first failing test, "timeout", or why it is invalid
    seconds: float


class ListError(Exception):
    """The mutation list does not match the sources."""


def load(path: Path = MUTATIONS, root: Path = ROOT) -> list[Mutation]:
    """The mutations of ``path``, each checked against the sources under ``root``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    mutations: list[Mutation] = []
    for i, item in enumerate(raw.get("mutations") or []):
        where = f"mutations[{i}] ({item.get('id', '?')})"
        missing = [k for k in Mutation.__dataclass_fields__ if not isinstance(item.get(k), str)]
        if missing:
            problems.append(f"{where}: missing or not text: {', '.join(missing)}")
            continue
        m = Mutation(**{k: item[k] for k in Mutation.__dataclass_fields__})
        source = root / m.file
        if not RULE.match(m.rule):
            problems.append(f"{where}: rule {m.rule!r} is not R1…R13")
        if not source.is_file():
            problems.append(f"{where}: no file {m.file}")
        elif (count := source.read_text(encoding="utf-8").count(m.original)) != 1:
            problems.append(f"{where}: the original occurs {count} times in {m.file}, not once")
        if m.original == m.mutated:
            problems.append(f"{where}: the mutated snippet is the original")
        for arg in shlex.split(m.tests):
            path = arg.split("::", 1)[0]
            if path.startswith("tests") and not (root / path).exists():
                problems.append(f"{where}: no tests at {path}")
        mutations.append(m)
    ids = [m.id for m in mutations]
    problems += [f"id {i} appears twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise ListError("\n".join(problems))
    return mutations


def line_of(root: Path, m: Mutation) -> int:
    text = (root / m.file).read_text(encoding="utf-8")
    return text[: text.index(m.original)].count("\n") + 1


# ---- the copy ---------------------------------------------------------------------------------


def make_copy(into: Path) -> Path:
    """A copy of the tree at ``into/tree``, linking the npm toolchain instead of copying it."""
    tree = into / "tree"
    shutil.copytree(
        ROOT,
        tree,
        symlinks=True,  # tracenet/<component> are relative links: they follow the copy
        ignore=lambda _, names: [n for n in names if n in SKIP or n.endswith(".egg-info")],
    )
    (tree / "node_modules").symlink_to((ROOT / "node_modules").resolve())
    return tree


def environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(tree)  # tracenet.* imports the copy's code, in subprocesses too
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_bounded(
    argv: list[str], tree: Path, timeout: float
) -> tuple[int | None, str]:  # fmt: skip
    """Runs ``argv`` in ``tree`` in its own process group; (exit code or None on timeout, output).
    The whole group (anvil, servers the tests start) is killed on timeout or Ctrl-C."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            argv, cwd=tree, env=environment(tree), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if proc.poll() is None or code is None:
                _kill_group(proc)
        out.seek(0)
        return code, out.read().decode(errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


#: Compiles only the contracts of the mutated file (a third of the full build's time for the
#: catalog, most of it for the ledger), with the pinned compiler and settings, and writes their
#: bytecode into the copy's artifacts; the ABI cannot change (only function bodies are mutated).
COMPILE = r"""
import json, sys
from tracenet.contracts import _config
from tracenet.contracts._compiler import run, select_compiler
from tracenet.contracts._sources import collect, standard_input
units = sys.argv[1:]
data = standard_input(collect(_config.SOURCE_DIR, _config.NODE_MODULES))
outputs = ["evm.bytecode.object", "evm.deployedBytecode.object"]
data["settings"]["outputSelection"] = {unit: {"*": outputs} for unit in units}
out = run(select_compiler(node_modules=_config.NODE_MODULES), data)
errors = [e["formattedMessage"] for e in out.get("errors", []) if e["severity"] == "error"]
if errors:
    sys.exit(errors[0].splitlines()[0])
for name, compiled in ((n, c) for u in units for n, c in out["contracts"][u].items()):
    path = _config.BUILD_DIR / f"{name}.json"
    if path.is_file():
        artifact = json.loads(path.read_text())
        for key in ("bytecode", "deployedBytecode"):
            artifact[key] = "0x" + compiled["evm"][key]["object"]
        path.write_text(json.dumps(artifact, sort_keys=True, indent=2) + "\n")
"""


#: Files whose contracts another contract creates with ``new``: the creator's bytecode embeds
#: theirs, so it is recompiled with them (the Ledger creates its Transit, issue 19).
EMBEDDED_BY = {"Transit.sol": ("Ledger.sol",)}


def compile_in(tree: Path, file: str, timeout: float) -> tuple[bool, str]:
    unit = Path(file).relative_to("contracts/src").as_posix()
    units = [unit, *EMBEDDED_BY.get(unit, ())]
    code, output = run_bounded([sys.executable, "-c", COMPILE, *units], tree, timeout)
    if code == 0:
        return True, ""
    lines = [x for x in output.splitlines() if x.strip()]
    return False, "compile timeout" if code is None else "does not compile: " + lines[-1][:120]


def run_tests(tree: Path, tests: str, timeout: float) -> tuple[str, str]:
    """(passed | failed | timeout | error, the first failing test or the tail of the output)."""
    argv = [sys.executable, "-m", "pytest", *PYTEST, *shlex.split(tests)]
    code, output = run_bounded(argv, tree, timeout)
    if code is None:
        return "timeout", "timeout"
    if code == 0:
        return "passed", ""
    failed = re.findall(r"^(?:FAILED|ERROR) (tests/.+?)(?: - .*)?$", output, re.MULTILINE)
    if code == 1 and failed:
        return "failed", failed[0]
    tail = " | ".join(x for x in output.splitlines()[-3:] if x.strip())
    return "error", f"pytest exit {code}: {tail[:200]}"


# ---- one mutation -------------------------------------------------------------------------------


def apply_one(tree: Path, m: Mutation, timeout: float, compile_timeout: float) -> Result:
    path = tree / m.file
    original = path.read_text(encoding="utf-8")
    line = line_of(tree, m)
    build = tree / "contracts" / "build"
    saved = {p.name: p.read_bytes() for p in build.glob("*.json")} if m.solidity else {}
    started = time.monotonic()
    try:
        path.write_text(original.replace(m.original, m.mutated, 1), encoding="utf-8")
        if m.solidity:
            ok, why = compile_in(tree, m.file, compile_timeout)
            if not ok:
                return Result(m.id, m.rule, m.file, line, "invalid", why, _since(started))
        status, by = run_tests(tree, m.tests, timeout)
    finally:
        path.write_text(original, encoding="utf-8")
        for name, data in saved.items():
            (build / name).write_bytes(data)
    outcome = {"failed": "caught", "timeout": "caught", "passed": "survived"}.get(status, "invalid")
    return Result(m.id, m.rule, m.file, line, outcome, by, _since(started))


def _since(started: float) -> float:
    return round(time.monotonic() - started, 1)


# ---- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("ids", nargs="*", help="only these mutations (default: all)")
    p.add_argument("--rule", action="append", help="only mutations of this rule (R1…R13)")
    p.add_argument("--file", action="append", help="only mutations of files under this path")
    p.add_argument("--timeout", type=float, default=180, help="seconds per test run (180)")
    p.add_argument("--compile-timeout", type=float, default=300, help="seconds per compile")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON (- : stdout)")
    p.add_argument("--check", action="store_true", help="only check the list against the sources")
    p.add_argument("--no-baseline", action="store_true", help="skip the unmutated test runs")
    p.add_argument("--list", action="store_true", help="list the mutations and stop")
    args = p.parse_args(argv)
    try:
        mutations = load()
    except ListError as exc:
        print(f"tests/mutations.yaml does not match the sources:\n{exc}", file=sys.stderr)
        return 2
    chosen = [
        m for m in mutations
        if (not args.ids or m.id in args.ids)
        and (not args.rule or m.rule in args.rule)
        and (not args.file or any(m.file.startswith(f) for f in args.file))
    ]  # fmt: skip
    if unknown := set(args.ids) - {m.id for m in mutations}:
        print(f"no such mutation: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.check or args.list:
        for m in chosen if args.list else []:
            print(f"{m.id:38} {m.rule:4} {m.file}:{line_of(ROOT, m)}  {m.why}")
        print(f"{len(chosen)} mutations match the sources", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="tracenet-mutate-") as tmp:
        try:
            return _run(chosen, Path(tmp), args)
        except KeyboardInterrupt:
            print("\ninterrupted: the working tree was never changed", file=sys.stderr)
            return 130


def _run(chosen: list[Mutation], tmp: Path, args: argparse.Namespace) -> int:
    started = time.monotonic()
    tree = make_copy(tmp)
    print(f"{len(chosen)} mutations, copy of the tree in {tree}", file=sys.stderr, flush=True)
    if not args.no_baseline:
        for tests in dict.fromkeys(m.tests for m in chosen):
            status, by = run_tests(tree, tests, args.timeout)
            print(f"baseline {tests}: {status} {by}".rstrip(), file=sys.stderr, flush=True)
            if status != "passed":
                print("the unmutated tests fail: fix them first", file=sys.stderr)
                return 2
    results = []
    for i, m in enumerate(chosen, 1):
        r = apply_one(tree, m, args.timeout, args.compile_timeout)
        results.append(r)
        print(f"[{i}/{len(chosen)}] {r.id}: {r.outcome} ({r.seconds:.0f} s) {r.by}",
              file=sys.stderr, flush=True)  # fmt: skip
    print_table(results)
    survived = [r for r in results if r.outcome != "caught"]
    total = round(time.monotonic() - started)
    print(f"\n{len(results) - len(survived)} of {len(results)} caught in {total} s"
          + (f"; not caught: {', '.join(r.id for r in survived)}" if survived else ""))  # fmt: skip
    if args.json:
        doc: dict[str, Any] = {"results": [asdict(r) for r in results], "seconds": total}
        text = json.dumps(doc, indent=2) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    return 1 if survived else 0


def print_table(results: list[Result]) -> None:
    rows = [("mutation", "rule", "where", "outcome", "by", "s")]
    rows += [(r.id, r.rule, f"{r.file}:{r.line}", r.outcome, r.by, f"{r.seconds:.0f}")
             for r in results]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])


if __name__ == "__main__":
    sys.exit(main())
