"""``tracenet console serve|errors``: the web console (``TRACENET_CONSOLE_*`` settings)."""

from __future__ import annotations

import argparse
import socket
import sys

from pydantic import ValidationError
from pydantic_settings import SettingsError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = subparsers.add_parser("console", help="the web console for parties, buyers, auditors")
    commands = console.add_subparsers(dest="console_command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the console",
        description="Reads TRACENET_CONSOLE_PORT (8800), TRACENET_CONSOLE_INDEXER_URL, "
        "TRACENET_CONSOLE_INDEXER_KEY, TRACENET_CONSOLE_GATEWAYS (JSON: party key → "
        "gateway URL) and, behind a proxy, TRACENET_CONSOLE_ORIGIN (the origin browsers see, "
        "which every form post must come from).",
    )
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8800)")
    serve.set_defaults(handler=_serve)
    errors = commands.add_parser("errors", help="print the error code table (console/ERRORS.md)")
    errors.set_defaults(handler=_errors)


def _errors(_args: argparse.Namespace) -> int:
    from tracenet.console.errors import errors_document

    print(errors_document(), end="")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tracenet.console._app import create_app
    from tracenet.console._settings import ConsoleSettings

    try:
        settings = ConsoleSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "TRACENET_CONSOLE_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        print(f"console: {name}: {first['msg']}", file=sys.stderr)
        return 2
    except SettingsError as exc:  # e.g. TRACENET_CONSOLE_GATEWAYS is not JSON
        print(f"console: {exc}: write TRACENET_CONSOLE_GATEWAYS as JSON", file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    if not _free(host, port):
        print(f"console: {host}:{port} is in use (TRACENET_CONSOLE_PORT)", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    return 0


def _free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
