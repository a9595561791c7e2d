"""`tracenet …`: one entry point, subcommands grouped by component.

Each component package contributes its subcommands through a ``register(subparsers)`` function in
its private ``_cli`` module; a handler returns the process exit code.

Components are imported lazily: ``tracenet --help`` lists every command from the table below
without importing any component, and ``tracenet gateway …`` imports the gateway's ``_cli`` only
(importing every component costs seconds of CPU, paid by every subprocess that runs a command).
``tests/test_cli_lazy.py`` keeps the table's help texts equal to the components' own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

# command: (module that registers it, its one-line help) — order is the order of `tracenet --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "contracts": ("tracenet.contracts._cli", "compile and check the Solidity contracts"),
    "node": ("tracenet.node._cli", "run the embedded dev chain (anvil)"),
    "network": ("tracenet.node._cli", "generate a multi-organisation Besu network"),
    "deploy": (
        "tracenet.node._cli",
        "deploy the ledger and bootstrap the consortium from a config file",
    ),
    "wallet": ("tracenet.wallet._cli", "manage encrypted signing keys"),
    "indexer": ("tracenet.indexer._cli", "mirror the ledger into SQL and serve reports"),
    "verify": (
        "tracenet.indexer.verifier._verify_cli",
        "verify a claim or shipment against the chain alone (exit 0 if it holds)",
    ),
    "declaration": ("tracenet.indexer.verifier._verify_cli", "issue Sustainability Declarations"),
    "gateway": ("tracenet.gateway._cli", "run a party's gateway; manage API keys"),
    "archive": (
        "tracenet.indexer.archive._cli",
        "export the ledger's record to files; verify them with no server",
    ),
    "import": (
        "tracenet.erp._cli",
        "record an ERP export (CSV or XLSX) through the party's gateway",
    ),
    "console": ("tracenet.console._cli", "the web console for parties, buyers, auditors"),
    "demo": (
        "tracenet.demo",
        "run the demo network: chain, gateways, indexer, console, and its story",
    ),
}


def _register(module_name: str, subparsers: argparse._SubParsersAction[Any]) -> bool:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:  # a component not installed: its commands are absent
        if exc.name != module_name:
            raise
        return False
    module.register(subparsers)
    return True


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``tracenet`` parser. With ``command``, only the component that owns it is imported and
    the other commands are placeholders (name and help); without, every component is imported."""
    parser = argparse.ArgumentParser(
        prog="tracenet", description="Mass-balance chain of custody on a permissioned ledger."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
    if command is not None:
        wanted = [COMMANDS[command][0]] if command in COMMANDS else []
    for module_name in wanted:
        _register(module_name, subparsers)
    if command is not None:
        for name, (_, help_text) in COMMANDS.items():
            if name not in subparsers.choices:
                subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def _command(argv: Sequence[str]) -> str:
    """The subcommand named in ``argv`` ("" for none: ``--help`` or an error)."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command(argv))
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):  # its component is not installed
        parser.error(f"{args.command}: this installation has no such component")
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
