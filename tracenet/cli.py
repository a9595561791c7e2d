"""`tracenet …`: one entry point, subcommands grouped by component.

Each component package contributes its subcommands through a ``register(subparsers)`` function in
its private ``_cli`` module; a handler returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# (module, what it adds) — order is the order of `tracenet --help`.
_COMPONENTS = (
    "contracts._cli",
    "node._cli",
    "wallet._cli",
    "indexer._cli",
    "indexer.verifier._verify_cli",
    "gateway._cli",
    "erp._cli",
    "console._cli",
    "tracenet.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracenet", description="Mass-balance chain of custody on a permissioned ledger."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMPONENTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
