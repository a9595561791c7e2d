"""``tracenet demo [--once] [--port-base N] [--dir D]``: the main job.

Starts the demo network (chain, one gateway per party, the indexer, the console), plays the
story through the gateways, prints one line per person, and serves until Ctrl-C (or SIGTERM);
``--once`` exits after checking every outcome. Whatever it started is stopped on the way out,
on an error too. Exit 0 fine, 1 a surprise or failure (one line naming it), 2 a port in use,
130 stopped by Ctrl-C (SIGINT), 143 by SIGTERM.

Ctrl-C and SIGTERM stop it at any moment: starting the network, mid-story or serving. Both are
handled explicitly, also when the demo inherited SIGINT ignored (a script's background job does,
and Python then leaves it ignored), and both raise :class:`Interrupted`, which no ``except
Exception`` on the way can swallow. A demo killed outright (SIGKILL) leaves its services to its
warden (``_warden.py``), which stops them.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tracenet.demo._archive import archive
from tracenet.demo._audit import audit
from tracenet.demo._network import (
    Network,
    plan_network,
    start_chain,
    start_console,
    start_gateways,
    start_indexer,
)
from tracenet.demo._people import people, summary
from tracenet.demo._play import Player
from tracenet.demo._procs import Interrupted, on_signal
from tracenet.demo._story import tell
from tracenet.demo._views import side_by_side
from tracenet.demo.errors import DemoError

__all__ = ["register"]

DEFAULT_PORT_BASE = 8800


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo", help="run the demo network: chain, gateways, indexer, console, and its story"
    )
    demo.add_argument(
        "--once",
        action="store_true",
        help="play the story, check every outcome, stop everything and exit",
    )
    demo.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        metavar="N",
        help=f"console N, indexer API N+1, chain N+2, gateways N+3… (default {DEFAULT_PORT_BASE})",
    )
    demo.add_argument(
        "--dir",
        type=Path,
        default=Path(".tracenet/demo"),
        help="working directory, emptied at start (default .tracenet/demo)",
    )
    demo.set_defaults(handler=run)


def say(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    net: Network | None = None
    started = time.monotonic()
    try:
        net = plan_network(args.dir, args.port_base)
        say(
            f"Tracenet demo in {args.dir}: ports {args.port_base} to "
            f"{net.ports.gateway(net.ports.parties[-1])}"
        )
        _play(net, started)
        say(f"\nDone in {time.monotonic() - started:.0f} s; logs in {net.children.logs}")
        if args.once:
            return 0
        say("Serving until Ctrl-C.")
        while True:
            net.children.check_alive()
            time.sleep(1)
    except (Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        say(f"\n{signal.Signals(signum).name}: stopping everything the demo started")
        return 128 + signum
    except DemoError as exc:
        print(f"tracenet demo: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except Exception as exc:  # a node, wallet or deploy error: one line, never a traceback
        print(f"tracenet demo: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if net is not None:
            net.stop(say)
        for sig, handler in previous.items():
            if handler is not None:  # None: not installed from Python, nothing to put back
                signal.signal(sig, handler)


def _play(net: Network, started: float) -> None:
    say("\nStarting the network")
    start_chain(net, say)
    start_gateways(net, say)
    start_indexer(net, say)
    start_console(net, say)
    say(f"network ready in {time.monotonic() - started:.0f} s")
    player = Player(net, say)
    try:
        tell(player)
        audit(player, "rpet-flake", player.facts["p0"] + 1)
        side_by_side(player)
        archive(player)
    finally:
        player.close()
    summary(player, say)
    people(net, player, say)
