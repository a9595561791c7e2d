"""``tracenet indexer run|check|serve|keys|verify-report|errors``: the mirror from the command line.

Options override ``TRACENET_INDEXER_*`` settings. Exit codes: 0 fine, 1 mismatch / invalid,
2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import SQLModel

from tracenet.contracts import Deployment, attach, connect
from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.api._cli_api import register_api
from tracenet.indexer.errors import IndexerError, errors_document
from tracenet.indexer.mirror._chain import RpcReader
from tracenet.indexer.mirror._check import check_lag, check_mirror
from tracenet.indexer.mirror._follower import Follower
from tracenet.indexer.mirror._migrate import HEAD, migrate, mirror_tables
from tracenet.indexer.mirror._store import make_engine

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("indexer", help="mirror the ledger into SQL and serve reports")
    commands = parser.add_subparsers(dest="indexer_command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="catch up from the deployment block, then follow the head"
    )
    _common(run)
    run.add_argument("--reset", action="store_true", help="drop the mirror and rebuild it")
    run.add_argument("--once", action="store_true", help="stop once caught up")
    run.set_defaults(handler=_run)

    check = commands.add_parser("check", help="compare every balance with the contracts' views")
    _common(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--max-lag-blocks",
        type=int,
        help="fail when the mirror is more blocks behind the head (default 64)",
    )
    check.add_argument(
        "--max-lag-seconds",
        type=float,
        help="fail when the oldest block not mirrored was mined longer ago (default 300)",
    )
    check.set_defaults(handler=_check)

    upgrade = commands.add_parser(
        "migrate", help="create or upgrade the mirror's schema (also done by every command)"
    )
    _common(upgrade)
    upgrade.add_argument("--revision", default="head", help=f"target revision (head: {HEAD})")
    upgrade.set_defaults(handler=_migrate)

    errors = commands.add_parser("errors", help="print the error code table (indexer/ERRORS.md)")
    errors.set_defaults(handler=_errors)

    register_api(commands, _common)


def _errors(_args: argparse.Namespace) -> int:
    print(errors_document(), end="")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite under .tracenet/)")
    parser.add_argument("--rpc-url", help="node JSON-RPC URL (default http://127.0.0.1:8545)")
    parser.add_argument("--deployment", type=Path, help="deployment record (JSON)")


def settings_from(args: argparse.Namespace) -> IndexerSettings:
    overrides: dict[str, Any] = {}
    for name in ("database_url", "rpc_url", "deployment", "max_lag_blocks", "max_lag_seconds"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return IndexerSettings(**overrides)


def _follower(settings: IndexerSettings, engine: Engine) -> Follower:
    deployment = Deployment.load(settings.deployment)
    reader = RpcReader(settings.rpc_url, timeout=settings.rpc_timeout)
    return Follower(engine, reader, deployment, settings)


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_from(args)
    engine = make_engine(settings.database_url)
    if args.reset:
        SQLModel.metadata.drop_all(engine, tables=mirror_tables())
    follower = _follower(settings, engine)
    try:
        follower.init()
        if args.once:
            result = follower.catch_up()
            print(f"caught up at block {result.checkpoint}")
            return 0
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        follower.run(stop)
    except IndexerError as exc:
        print(f"indexer: {exc.code} {exc.message}", file=sys.stderr)
        return 2
    finally:
        follower.close()
        if isinstance(follower.reader, RpcReader):
            follower.reader.close()
        engine.dispose()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    engine = make_engine(settings_from(args).database_url)
    try:
        revision = migrate(engine, args.revision)
    except Exception as exc:  # a bad revision or an unreachable database: one line
        print(f"indexer: cannot migrate the mirror: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"mirror at schema revision {revision}")
    return 0


def _check(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    engine = make_engine(settings.database_url)
    deployment = Deployment.load(settings.deployment)
    w3 = connect(settings.rpc_url)
    report = check_mirror(engine, attach(w3, deployment))
    reader = RpcReader(settings.rpc_url, timeout=settings.rpc_timeout)
    try:
        lag = check_lag(
            engine,
            reader,
            max_blocks=settings.max_lag_blocks,
            max_seconds=settings.max_lag_seconds,
        )
    finally:
        reader.close()
    if args.json:
        print(json.dumps({**report.to_dict(), "lag": {**lag.__dict__, "ok": lag.ok}}, indent=2))
    else:
        print(
            f"block {report.block_number}: {report.balances_checked} balances, "
            f"{report.classes_checked} classes checked, {len(report.differences)} differences"
        )
        for d in report.differences:
            print(f"  {d.what} {d.key}: chain {d.chain}, mirror {d.mirror}")
        print(lag.describe())
    return 0 if report.ok and lag.ok else 1
