"""``tracenet deploy``: deploy the ledger and bootstrap the consortium from a config file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from node._config import ConsortiumConfig
from node._connect import connect
from node._deploy import deploy_consortium, required_signers
from node._settings import NodeSettings
from node.errors import NodeError
from wallet import DEFAULT_PASSPHRASE_ENV, Keystore, WalletSettings, read_passphrase
from wallet.errors import WalletError

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
    deploy.set_defaults(handler=_deploy)


def _deploy(args: argparse.Namespace) -> int:
    try:
        config = ConsortiumConfig.load(args.config)
        settings = (
            WalletSettings() if args.wallet_dir is None else WalletSettings(dir=args.wallet_dir)
        )
        keys = Keystore.from_settings(settings)
        passphrase = read_passphrase(env_var=settings.passphrase_env, file=args.passphrase_file)
        signers = {label: keys.unlock(label, passphrase) for label in required_signers(config)}
        addresses = {info.label: info.address for info in keys.list()}
        w3 = connect(args.rpc_url or NodeSettings().rpc_url)
        deployment = deploy_consortium(w3, config, signers, addresses)
    except (NodeError, WalletError) as exc:
        print(f"tracenet deploy: {exc}", file=sys.stderr)
        return 1
    deployment.save(args.out)
    counts = ", ".join(f"{len(ids)} {kind}" for kind, ids in deployment.registry.items())
    print(f"deployed on chain {deployment.chain_id} at block {deployment.block_number}: {counts}")
    for name, address in deployment.addresses.items():
        print(f"  {name:<10} {address}")
    print(f"deployment record: {args.out}")
    return 0
