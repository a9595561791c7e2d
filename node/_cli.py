"""``tracenet node up|down|status``: the embedded dev chain from the command line.

``register`` also adds ``tracenet network`` (the multi-organisation Besu network generator of
``node._network_cli``), since ``tracenet.cli`` loads one ``register`` per component.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from tracenet.node._anvil import AnvilNode
from tracenet.node._deploy_cli import register_deploy
from tracenet.node._network_cli import register_network
from tracenet.node._settings import NodeSettings
from tracenet.node.errors import NodeError, NodeNotRunningError, NodeStartError

__all__ = ["register"]

#: ``tracenet node status`` exit code when no node runs (as LSB init scripts do).
EXIT_NOT_RUNNING = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    node = subparsers.add_parser("node", help="run the embedded dev chain (anvil)")
    commands = node.add_subparsers(dest="node_command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start the dev chain in the background")
    _common(up)
    up.add_argument("--port", type=int, help="JSON-RPC port (default 8545)")
    up.add_argument("--host", help="listen address (default 127.0.0.1)")
    up.add_argument(
        "--block-time", type=int, metavar="N", help="seconds per block; 0 = one per tx (default 1)"
    )
    up.set_defaults(handler=_up)

    down = commands.add_parser("down", help="stop the dev chain (it saves its state)")
    _common(down)
    down.set_defaults(handler=_down)

    status = commands.add_parser(
        "status", help=f"show whether it runs (exit {EXIT_NOT_RUNNING} when it does not)"
    )
    _common(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)

    register_network(subparsers)
    register_deploy(subparsers)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, metavar="D", help="state directory (default ./.tracenet/node)"
    )


def _node(args: argparse.Namespace) -> AnvilNode:
    names = ("data_dir", "port", "host", "block_time")
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in names if getattr(args, name, None) is not None
    }
    return AnvilNode(NodeSettings(**overrides))


def _fail(exc: Exception) -> int:
    """One line on standard error, whatever the error (anvil's log tail is summarised)."""
    if isinstance(exc, NodeStartError):
        line = str(exc).split("; last log lines:")[0]
        if exc.log_tail:
            line += f"; anvil said: {exc.log_tail[-1].strip()}"
    else:
        text = str(exc).strip()
        line = text.splitlines()[0] if text else type(exc).__name__
    print(f"tracenet node: error: {line}", file=sys.stderr)
    return 1


def _up(args: argparse.Namespace) -> int:
    try:
        node = _node(args)
        status = node.start()
    except (NodeError, ValueError) as exc:  # ValueError: pydantic's ValidationError
        return _fail(exc)
    print(
        f"node up: pid {status.pid}, {status.rpc_url}, chain id {status.chain_id}, "
        f"block {status.block_number}, data {status.data_dir}"
    )
    return 0


def _down(args: argparse.Namespace) -> int:
    try:
        node = _node(args)
        node.stop()
    except NodeNotRunningError as exc:
        print(f"tracenet node: {exc}", file=sys.stderr)
        return 0
    except (NodeError, ValueError) as exc:
        return _fail(exc)
    print(f"node down: state saved in {node.state_path}")
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        status = _node(args).status()
    except (NodeError, ValueError) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(dataclasses.asdict(status), indent=2))
    elif status.running:
        answering = (
            f"chain id {status.chain_id}, block {status.block_number}"
            if status.chain_id is not None
            else "not answering JSON-RPC"
        )
        print(f"running: pid {status.pid}, {status.rpc_url}, {answering}")
    else:
        print(f"stopped (data {status.data_dir})")
    return 0 if status.running else EXIT_NOT_RUNNING
