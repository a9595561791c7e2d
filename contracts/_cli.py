"""``tracenet contracts build|check|codegen``: write the artifacts (and the records generated
from them), verify the committed ones, or regenerate ``contracts/records.py`` alone."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from tracenet.contracts import _config
from tracenet.contracts._artifacts import Build, check_build, compile_contracts, write_build
from tracenet.contracts._codegen import RECORDS_PATH, check_records, write_records
from tracenet.contracts._compiler import install_native
from tracenet.contracts._decoding import clear_cache
from tracenet.contracts.errors import StaleArtifactsError, TracenetContractsError


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``contracts`` and its subcommands to ``tracenet``."""
    parser = subparsers.add_parser("contracts", help="compile and check the Solidity contracts")
    commands = parser.add_subparsers(dest="contracts_command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="compile contracts/src into contracts/build")
    build.add_argument(
        "--install-solc",
        action="store_true",
        help=f"first install a native solc {_config.SOLC_VERSION} with py-solc-x (needs network)",
    )
    build.set_defaults(handler=_build)
    check = commands.add_parser(
        "check", help="recompile in memory; exit 1 if contracts/build is stale"
    )
    check.set_defaults(handler=_check)
    codegen = commands.add_parser(
        "codegen", help="regenerate contracts/records.py (the ledger's records) from the ABIs"
    )
    codegen.add_argument(
        "--check", action="store_true", help="exit 1 if the committed records.py is stale"
    )
    codegen.add_argument("--out", type=Path, default=RECORDS_PATH, help="(tests)")
    codegen.set_defaults(handler=_codegen)
    for sub in (build, check):
        sub.add_argument("--source-dir", type=Path, default=_config.SOURCE_DIR, help="(tests)")
    for sub in (build, check, codegen):
        sub.add_argument("--build-dir", type=Path, default=_config.BUILD_DIR, help="(tests)")


def _build(args: argparse.Namespace) -> int:
    if args.install_solc:
        try:
            print(f"installed {install_native()}")
        except TracenetContractsError as exc:
            print(f"warning: {exc}; falling back", file=sys.stderr)
    build = _compile(args.source_dir)
    if build is None:
        return 1
    changed = write_build(build, args.build_dir)
    clear_cache()
    print(f"{len(build.files)} files in {args.build_dir}; changed: {', '.join(changed) or 'none'}")
    if args.build_dir == _config.BUILD_DIR:  # records follow the committed artifacts only
        return _codegen(argparse.Namespace(check=False, out=RECORDS_PATH, build_dir=None))
    return 0


def _codegen(args: argparse.Namespace) -> int:
    """Write (or with ``--check`` compare) the generated records."""
    try:
        if args.check:
            if not check_records(args.build_dir, args.out):
                print(
                    f"error: {args.out} is stale; run `tracenet contracts codegen` and commit it",
                    file=sys.stderr,
                )
                return 1
            print(f"{args.out} is up to date")
            return 0
        changed = write_records(args.build_dir, args.out)
    except (TracenetContractsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.out} {'regenerated' if changed else 'unchanged'}")
    return 0


def _check(args: argparse.Namespace) -> int:
    build = _compile(args.source_dir)
    if build is None:
        return 1
    try:
        check_build(build, args.build_dir)
    except StaleArtifactsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.build_dir} is up to date ({len(build.files)} files)")
    return 0


def _compile(source_dir: Path) -> Build | None:
    started = time.perf_counter()
    try:
        build = compile_contracts(source_dir)
    except TracenetContractsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    for warning in build.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"compiled {source_dir} with {build.compiler} in {elapsed:.1f} s", file=sys.stderr)
    return build
