"""``tracenet network init``: generate a multi-organisation Besu/QBFT network from the command line.

Prints the validators' public identities and where the files went; never a key. Exit codes: 0
done, 1 the output could not be written, 2 the arguments describe no valid network.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracenet.node._network import (
    DEFAULT_BALANCE_WEI,
    DEFAULT_BESU_IMAGE,
    DEFAULT_CHAIN_ID,
    DEFAULT_GAS_LIMIT,
    DEFAULT_POSTGRES_IMAGE,
    DEFAULT_TRACENET_IMAGE,
    MIN_ORGANISATIONS,
    NetworkError,
    NetworkSpec,
    NetworkSpecError,
    Organisation,
    find_build_context,
    generate_network,
)

__all__ = ["register_network"]

EXIT_FAILED = 1
EXIT_INVALID = 2


def register_network(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``network init`` to the top-level ``tracenet`` parser."""
    network = subparsers.add_parser("network", help="generate a multi-organisation Besu network")
    commands = network.add_subparsers(dest="network_command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init",
        help="generate keys, genesis, Besu configs and docker-compose for a QBFT network",
        description=(
            "Generate a Hyperledger Besu network with QBFT consensus and free gas: one "
            f"validator per organisation (at least {MIN_ORGANISATIONS}), its node key (0600, "
            "never printed), genesis.json, permissions, static nodes and docker-compose.yml."
        ),
    )
    init.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="new or empty directory to write into",
    )
    init.add_argument(
        "--org",
        action="append",
        required=True,
        metavar="NAME",
        dest="orgs",
        help="an organisation (repeat; lowercase letters, digits, hyphens)",
    )
    init.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ORG=ADDRESS",
        dest="accounts",
        help="an account ORG transacts from: funded in genesis and allowlisted "
        "(repeat; with none, account allowlisting is off)",
    )
    init.add_argument(
        "--chain-id",
        type=int,
        default=DEFAULT_CHAIN_ID,
        metavar="N",
        help=f"chain id (default {DEFAULT_CHAIN_ID})",
    )
    init.add_argument(
        "--block-period",
        type=int,
        default=1,
        metavar="SECONDS",
        dest="block_period_seconds",
        help="seconds between blocks (default 1)",
    )
    init.add_argument(
        "--request-timeout",
        type=int,
        default=10,
        metavar="SECONDS",
        dest="request_timeout_seconds",
        help="QBFT round timeout (default 10)",
    )
    init.add_argument(
        "--epoch-length",
        type=int,
        default=30_000,
        metavar="BLOCKS",
        help="blocks between vote resets (default 30000)",
    )
    init.add_argument(
        "--gas-limit",
        type=_int_any_base,
        default=DEFAULT_GAS_LIMIT,
        metavar="GAS",
        help=f"block gas limit, decimal or 0x-hex (default {DEFAULT_GAS_LIMIT:#x})",
    )
    init.add_argument(
        "--evm-fork",
        choices=("london", "shanghai", "cancun"),
        default="cancun",
        help="EVM rules from genesis (default cancun, what solc 0.8.28 targets)",
    )
    init.add_argument(
        "--contract-size-limit",
        type=int,
        metavar="BYTES",
        help="raise the 24576-byte contract size limit",
    )
    init.add_argument(
        "--balance-wei",
        type=_int_any_base,
        default=DEFAULT_BALANCE_WEI,
        dest="account_balance_wei",
        metavar="WEI",
        help="genesis balance of each --account (default 10**24)",
    )
    init.add_argument(
        "--besu-image",
        default=DEFAULT_BESU_IMAGE,
        metavar="IMAGE",
        help=f"validator image (default {DEFAULT_BESU_IMAGE})",
    )
    init.add_argument(
        "--gateway-image",
        default=DEFAULT_TRACENET_IMAGE,
        metavar="IMAGE",
        help=f"gateway image (default {DEFAULT_TRACENET_IMAGE})",
    )
    init.add_argument(
        "--indexer-image",
        default=DEFAULT_TRACENET_IMAGE,
        metavar="IMAGE",
        help=f"indexer image (default {DEFAULT_TRACENET_IMAGE})",
    )
    init.add_argument(
        "--postgres-image",
        default=DEFAULT_POSTGRES_IMAGE,
        metavar="IMAGE",
        help=f"indexer database image (default {DEFAULT_POSTGRES_IMAGE})",
    )
    build = init.add_mutually_exclusive_group()
    build.add_argument(
        "--build-context",
        type=Path,
        metavar="DIR",
        help="Tracenet source tree to build the gateway/indexer image from "
        "(default: this checkout, when it has docker/Dockerfile)",
    )
    build.add_argument(
        "--no-build",
        action="store_true",
        help="reference the images only; build or pull them yourself",
    )
    init.add_argument(
        "--rpc-port",
        type=int,
        default=8545,
        dest="rpc_host_port",
        metavar="PORT",
        help="first host port for validator JSON-RPC, on 127.0.0.1 (default 8545)",
    )
    init.add_argument(
        "--gateway-port",
        type=int,
        default=8100,
        dest="gateway_host_port",
        metavar="PORT",
        help="first host port for gateways (default 8100)",
    )
    init.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    try:
        spec = _spec(args)
    except NetworkSpecError as exc:
        return _fail(exc, EXIT_INVALID)
    try:
        layout = generate_network(spec, args.out)
    except NetworkError as exc:
        return _fail(exc, EXIT_FAILED)
    except OSError as exc:
        return _fail(exc, EXIT_FAILED)
    print(f"network written to {layout.root} (chain id {spec.chain_id})")
    for validator in layout.validators:
        print(f"  {validator.organisation}: validator {validator.address}  {validator.enode}")
    print("node keys are in <org>/node/key (mode 0600); wallet passphrases in secrets/ (0600)")
    print(
        f"next, as {layout.readme} says: start the validators, create keys in <org>/wallet, "
        "deploy with --out deployment/deployment.json, then `docker compose up -d`"
    )
    return 0


def _spec(args: argparse.Namespace) -> NetworkSpec:
    accounts = _accounts_by_org(args.orgs, args.accounts)
    options: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "chain_id",
            "block_period_seconds",
            "request_timeout_seconds",
            "epoch_length",
            "gas_limit",
            "evm_fork",
            "contract_size_limit",
            "account_balance_wei",
            "besu_image",
            "gateway_image",
            "indexer_image",
            "postgres_image",
            "rpc_host_port",
            "gateway_host_port",
        )
    }
    if args.no_build:
        build_context = None
    elif args.build_context is not None:
        build_context = args.build_context
    else:
        build_context = find_build_context()
    return NetworkSpec(
        organisations=tuple(
            Organisation(name=name, accounts=tuple(accounts.get(name, ()))) for name in args.orgs
        ),
        build_context=build_context,
        **options,
    )


def _accounts_by_org(orgs: Sequence[str], pairs: Sequence[str]) -> dict[str, list[str]]:
    accounts: dict[str, list[str]] = {}
    for pair in pairs:
        org, sep, address = pair.partition("=")
        if not sep or not address:
            raise NetworkSpecError(
                f"--account takes ORG=ADDRESS; got {pair!r}", field="accounts", value=pair
            )
        if org not in orgs:
            raise NetworkSpecError(
                f"--account names {org!r}, which is not one of the --org names",
                field="accounts",
                value=pair,
            )
        accounts.setdefault(org, []).append(address)
    return accounts


def _int_any_base(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _fail(exc: Exception, code: int) -> int:
    print(f"tracenet network init: error: {exc}", file=sys.stderr)
    return code
