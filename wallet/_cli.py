"""``tracenet wallet create|import|list|address``: the key store from the command line.

Secrets never come from arguments: the passphrase comes from ``--passphrase-file``, the
environment variable named by ``TRACENET_WALLET_PASSPHRASE_ENV`` (default
``TRACENET_WALLET_PASSPHRASE``) or a prompt; an imported key from ``--key-file`` (``-`` for
standard input) or a prompt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tracenet.wallet._keystore import KeyInfo, Keystore
from tracenet.wallet._passphrase import read_passphrase, read_private_key
from tracenet.wallet._settings import WalletSettings
from tracenet.wallet.errors import WalletError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # allow_abbrev=False: "--passphrase VALUE" must not pass as "--passphrase-file VALUE".
    wallet = subparsers.add_parser(
        "wallet", help="manage encrypted signing keys", allow_abbrev=False
    )
    commands = wallet.add_subparsers(dest="wallet_command", required=True, metavar="COMMAND")

    create = commands.add_parser("create", help="generate and store a new key", allow_abbrev=False)
    _key_options(create)
    create.set_defaults(handler=_create)

    imp = commands.add_parser("import", help="store an existing private key", allow_abbrev=False)
    _key_options(imp)
    imp.add_argument(
        "--key-file", type=Path, metavar="F", help="file holding the hex key; - for stdin"
    )
    imp.set_defaults(handler=_import)

    lst = commands.add_parser(
        "list", help="list stored keys (no passphrase needed)", allow_abbrev=False
    )
    _common(lst)
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=_list)

    address = commands.add_parser(
        "address", help="print the address of a stored key", allow_abbrev=False
    )
    _common(address)
    address.add_argument("label", metavar="LABEL", help="label or address of the key")
    address.set_defaults(handler=_address)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wallet-dir",
        type=Path,
        metavar="D",
        help="keystore directory (default ./.tracenet/wallet)",
    )


def _key_options(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--label", required=True, help="unique name of the key")
    parser.add_argument("--party", required=True, help="the consortium member owning the key")
    parser.add_argument("--unit", help="site or business unit of the party")
    parser.add_argument(
        "--passphrase-file", type=Path, metavar="F", help="file holding the passphrase"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _settings(args: argparse.Namespace) -> WalletSettings:
    overrides: dict[str, Any] = {}
    if args.wallet_dir is not None:
        overrides["dir"] = args.wallet_dir
    return WalletSettings(**overrides)


def _fail(exc: Exception) -> int:
    print(f"tracenet wallet: error: {exc}", file=sys.stderr)
    return 1


def _show(info: KeyInfo, as_json: bool) -> None:
    if as_json:
        print(json.dumps(info.to_json(), indent=2))
    else:
        unit = f"/{info.unit}" if info.unit else ""
        print(f"{info.label}\t{info.address}\t{info.party}{unit}")


def _create(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        passphrase = read_passphrase(
            env_var=settings.passphrase_env, file=args.passphrase_file, confirm=True
        )
        info = Keystore.from_settings(settings).create(
            label=args.label, party=args.party, unit=args.unit, passphrase=passphrase
        )
    except (WalletError, ValidationError) as exc:
        return _fail(exc)
    _show(info, args.json)
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        key = read_private_key(file=args.key_file)
        passphrase = read_passphrase(
            env_var=settings.passphrase_env, file=args.passphrase_file, confirm=True
        )
        source = "standard input" if str(args.key_file) == "-" else str(args.key_file or "prompt")
        info = Keystore.from_settings(settings).import_key(
            key,
            label=args.label,
            party=args.party,
            unit=args.unit,
            passphrase=passphrase,
            source=source,
        )
    except (WalletError, ValidationError) as exc:
        return _fail(exc)
    _show(info, args.json)
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        infos = Keystore.from_settings(_settings(args)).list()
    except (WalletError, ValidationError) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps([info.to_json() for info in infos], indent=2))
    else:
        for info in infos:
            _show(info, False)
    return 0


def _address(args: argparse.Namespace) -> int:
    try:
        print(Keystore.from_settings(_settings(args)).export_address(args.label))
    except (WalletError, ValidationError) as exc:
        return _fail(exc)
    return 0
