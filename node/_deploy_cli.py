"""``tracenet deploy``: deploy the ledger and bootstrap the consortium from a config file.

Progress goes to standard error, one line per stage; the summary to standard output. Any failure
is one line on standard error and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracenet.contracts._rpc import split_credentials
from tracenet.contracts.errors import TracenetContractsError
from tracenet.node._config import ConsortiumConfig
from tracenet.node._connect import connect
from tracenet.node._deploy import deploy_consortium
from tracenet.node._deploy_keys import (
    create_missing_keys,
    missing_keys,
    missing_keys_error,
    required_signers,
)
from tracenet.node._settings import NodeSettings
from tracenet.node.errors import NodeError
from tracenet.wallet import DEFAULT_PASSPHRASE_ENV, Keystore, WalletSettings, read_passphrase
from tracenet.wallet.errors import WalletError

__all__ = ["register_deploy"]

DEFAULT_RECORD = Path(".tracenet/deployment.json")


def register_deploy(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deploy = subparsers.add_parser(
        "deploy", help="deploy the ledger and bootstrap the consortium from a config file"
    )
    deploy.add_argument("--config", type=Path, required=True, help="consortium config (YAML)")
    deploy.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_RECORD,
        help=f"deployment record (default {DEFAULT_RECORD})",
    )
    deploy.add_argument("--rpc-url", help="JSON-RPC endpoint (default: the dev chain's)")
    deploy.add_argument("--wallet-dir", type=Path, help="key store (default ./.tracenet/wallet)")
    deploy.add_argument(
        "--passphrase-file",
        type=Path,
        help=f"file holding the keys' passphrase (default ${DEFAULT_PASSPHRASE_ENV} or a prompt)",
    )
    deploy.add_argument(
        "--create-keys",
        action="store_true",
        help="first create a wallet key for every signer the config names that has none "
        "(party and unit from the config)",
    )
    deploy.set_defaults(handler=_deploy)


def _deploy(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (NodeError, WalletError, TracenetContractsError) as exc:
        message = str(exc)
    except OSError as exc:  # the record cannot be written, the node vanished mid-way
        message = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # web3's and the RPC transport's: still one line, no traceback
        message = f"{type(exc).__name__}: {exc}"
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"tracenet deploy: error: {first}", file=sys.stderr)
    return 1


def _progress(line: str) -> None:
    print(f"deploy: {line}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    config = ConsortiumConfig.load(args.config)
    settings = WalletSettings() if args.wallet_dir is None else WalletSettings(dir=args.wallet_dir)
    keys = Keystore.from_settings(settings)
    missing = missing_keys(config, keys)
    if missing and not args.create_keys:
        raise missing_keys_error(missing, str(settings.dir))
    rpc_url = args.rpc_url or NodeSettings().rpc_url
    w3 = connect(rpc_url)
    if not w3.is_connected():
        shown, _ = split_credentials(rpc_url)  # never print a user:password@ URL's password
        raise NodeError(f"no node answers at {shown}; start one with `tracenet node up`")
    passphrase = read_passphrase(
        env_var=settings.passphrase_env, file=args.passphrase_file, confirm=bool(missing)
    )
    for each in create_missing_keys(config, keys, passphrase):
        unit = f", unit {each.unit}" if each.unit else ""
        _progress(f"created key '{each.label}' (party {each.party}{unit})")
    signers = {label: keys.unlock(label, passphrase) for label in required_signers(config)}
    addresses = {info.label: info.address for info in keys.list()}
    deployment = deploy_consortium(w3, config, signers, addresses, progress=_progress)
    deployment.save(args.out)
    counts = ", ".join(f"{len(ids)} {kind}" for kind, ids in deployment.registry.items())
    print(f"deployed on chain {deployment.chain_id} at block {deployment.block_number}: {counts}")
    for name, address in deployment.addresses.items():
        print(f"  {name:<10} {address}")
    print(f"deployment record: {args.out}")
    return 0
