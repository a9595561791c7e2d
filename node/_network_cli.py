"""``tracenet network init|node-key|rpc-account|assemble``: a multi-organisation Besu/QBFT
network from the command line.

Operators (``--operator``, at least four) run validators; members (``--member``) run gateways
only and reach the chain through an operator's JSON-RPC with their own account.
``node-key`` (on each operator's machine), ``rpc-account`` (on the machine of whoever will use
an RPC account) and ``assemble`` (from the public parts alone) are the key ceremony; ``init`` is
the quick local path, where one machine makes every key and password.
They print public identities and where the files went; never a key. Exit codes: 0 done, 1 the
output could not be written, 2 the arguments (or a public part) describe no valid network.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from tracenet.node._network import (
    DEFAULT_BALANCE_WEI,
    DEFAULT_BESU_IMAGE,
    DEFAULT_CHAIN_ID,
    DEFAULT_GAS_LIMIT,
    DEFAULT_POSTGRES_IMAGE,
    DEFAULT_TRACENET_IMAGE,
    MIN_ORGANISATIONS,
    NetworkError,
    NetworkLayout,
    NetworkSpec,
    NetworkSpecError,
    Organisation,
    assemble_network,
    check_organisation_name,
    find_build_context,
    generate_network,
)
from tracenet.node._network_besu import P2P_PORT
from tracenet.node._network_keys import NodePublic, make_node_key, read_public_part
from tracenet.node._network_rpc import (
    INDEXER_ACCOUNT,
    RpcAccount,
    make_rpc_account,
    read_rpc_account,
)

__all__ = ["register_network"]

EXIT_FAILED = 1
EXIT_INVALID = 2


def register_network(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``network init|node-key|rpc-account|assemble`` to the top-level ``tracenet`` parser."""
    network = subparsers.add_parser("network", help="generate a multi-organisation Besu network")
    commands = network.add_subparsers(dest="network_command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init",
        help="the quick local path: every organisation's keys, genesis, configs, compose in "
        "one folder",
        description=(
            "Generate a Hyperledger Besu network with QBFT consensus and free gas: one "
            f"validator per operator (at least {MIN_ORGANISATIONS}), its node key (0600, never "
            "printed), genesis.json, permissions, static nodes, JSON-RPC accounts and "
            "docker-compose.yml. Operators see the whole chain; members run a gateway only and "
            "call an operator's JSON-RPC with an account limited to what a gateway needs (the "
            "generated README.md says who sees what). This machine makes every key and "
            "password, so whoever runs it holds them all: a trial on one machine. For a "
            "consortium, use the key ceremony: `network node-key` on each operator's machine, "
            "`network rpc-account` wherever an RPC account is used, then `network assemble`."
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
        "--operator",
        "--org",
        action="append",
        required=True,
        metavar="NAME",
        dest="orgs",
        help=f"a validator operator (repeat, at least {MIN_ORGANISATIONS}): the scheme owner, "
        "certification bodies, an audit firm, the association; lowercase letters, digits, "
        "hyphens (--org is the former name)",
    )
    _member_options(init)
    _network_options(init)
    init.set_defaults(handler=_init)
    _register_node_key(commands)
    _register_rpc_account(commands)
    _register_assemble(commands)


def _register_node_key(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    node_key = commands.add_parser(
        "node-key",
        help="the key ceremony, on each operator's machine: its validator key and the "
        "public part to share",
        description=(
            "Make this operator's validator key (0600, never printed) and wallet passphrase "
            "(0600) on the machine that will run its validator, and the public part to share "
            "with the other organisations (<org>.public.json: public key, validator address, "
            "enode URL). Nothing secret leaves this machine."
        ),
    )
    node_key.add_argument(
        "--org", required=True, metavar="NAME", help="this organisation's name in the network"
    )
    node_key.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="new or empty directory"
    )
    node_key.add_argument(
        "--host",
        metavar="HOST",
        help="host name (or IPv4 address) the other validators dial (default besu-<org>, the "
        "compose service name: every validator on one docker network)",
    )
    node_key.add_argument(
        "--p2p-port",
        type=int,
        default=P2P_PORT,
        metavar="PORT",
        help=f"P2P port the other validators dial (default {P2P_PORT})",
    )
    node_key.set_defaults(handler=_node_key)


def _register_assemble(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    assemble = commands.add_parser(
        "assemble",
        help="the key ceremony's last step: genesis, configs and compose from the public parts",
        description=(
            "Build the network from public parts alone: the operators' (`network node-key`) "
            "and the JSON-RPC accounts' bcrypt hashes (`network rpc-account`). It writes "
            "genesis.json with the validators in QBFT extraData, permissions, static nodes, "
            "each validator's config and RPC credentials, docker-compose.yml and a README "
            "that says who sees what. No private key or password is written; given the same "
            "parts and options, every organisation assembles the same files."
        ),
    )
    assemble.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="new or empty directory"
    )
    assemble.add_argument(
        "--public",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        dest="publics",
        help="an operator's <org>.public.json (repeat, one per operator, at least "
        f"{MIN_ORGANISATIONS}; validators are ordered by operator name, whatever the "
        "order given)",
    )
    assemble.add_argument(
        "--rpc-account",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        dest="rpc_accounts",
        help="a <name>.rpc.json from `network rpc-account` (repeat): an operator's own "
        f"account, a member's, or the indexer's (name {INDEXER_ACCOUNT!r})",
    )
    _member_options(assemble)
    _network_options(assemble)
    assemble.set_defaults(handler=_assemble)


def _register_rpc_account(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rpc_account = commands.add_parser(
        "rpc-account",
        help="the key ceremony, wherever a JSON-RPC account is used: its password and the "
        "hash to share",
        description=(
            "Make a JSON-RPC account's password (0600, never printed) on the machine that will "
            "use it, and <name>.rpc.json holding only its bcrypt hash, for `network assemble "
            "--rpc-account`. NAME is an operator (its own account on its own validator), a "
            f"member (its gateway's account) or {INDEXER_ACCOUNT!r} (the indexer's)."
        ),
    )
    rpc_account.add_argument(
        "--name", required=True, metavar="NAME", help="the operator, member or 'indexer'"
    )
    rpc_account.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="new or empty directory"
    )
    rpc_account.set_defaults(handler=_rpc_account)


def _member_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--member",
        action="append",
        default=[],
        metavar="NAME",
        dest="members",
        help="a member (repeat): runs a gateway only, no validator, and calls an operator's "
        "JSON-RPC with an account that may not read the whole chain's events",
    )
    parser.add_argument(
        "--indexer-at",
        metavar="OPERATOR",
        dest="indexer_operator",
        help="the operator that runs the indexer, beside its validator (default the first)",
    )


def _int_any_base(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


class _Value(NamedTuple):
    """An option of ``init`` and ``assemble`` that takes one value."""

    flag: str
    type: Callable[[str], Any]
    default: Any
    metavar: str
    help: str
    dest: str | None = None  # argparse's own from the flag


_GENESIS = (
    _Value("--chain-id", int, DEFAULT_CHAIN_ID, "N", f"chain id (default {DEFAULT_CHAIN_ID})"),
    _Value("--block-period", int, 1, "SECONDS", "seconds between blocks (default 1)",
           "block_period_seconds"),
    _Value("--request-timeout", int, 10, "SECONDS", "QBFT round timeout (default 10)",
           "request_timeout_seconds"),
    _Value("--epoch-length", int, 30_000, "BLOCKS", "blocks between vote resets (default 30000)"),
    _Value("--gas-limit", _int_any_base, DEFAULT_GAS_LIMIT, "GAS",
           f"block gas limit, decimal or 0x-hex (default {DEFAULT_GAS_LIMIT:#x})"),
)  # fmt: skip
_SIZE_AND_BALANCE = (
    _Value("--contract-size-limit", int, None, "BYTES", "raise the 24576-byte contract size limit"),
    _Value("--balance-wei", _int_any_base, DEFAULT_BALANCE_WEI, "WEI",
           "genesis balance of each --account (default 10**24)", "account_balance_wei"),
)  # fmt: skip
_IMAGES = (
    _Value("--besu-image", str, DEFAULT_BESU_IMAGE, "IMAGE",
           f"validator image (default {DEFAULT_BESU_IMAGE})"),
    _Value("--gateway-image", str, DEFAULT_TRACENET_IMAGE, "IMAGE",
           f"gateway image (default {DEFAULT_TRACENET_IMAGE})"),
    _Value("--indexer-image", str, DEFAULT_TRACENET_IMAGE, "IMAGE",
           f"indexer image (default {DEFAULT_TRACENET_IMAGE})"),
    _Value("--postgres-image", str, DEFAULT_POSTGRES_IMAGE, "IMAGE",
           f"indexer database image (default {DEFAULT_POSTGRES_IMAGE})"),
)  # fmt: skip
_PORTS = (
    _Value("--rpc-port", int, 8545, "PORT",
           "first host port for validator JSON-RPC, on 127.0.0.1 (default 8545)", "rpc_host_port"),
    _Value("--gateway-port", int, 8100, "PORT", "first host port for gateways (default 8100)",
           "gateway_host_port"),
)  # fmt: skip


def _values(parser: argparse.ArgumentParser, options: Sequence[_Value]) -> None:
    for o in options:
        dest = o.dest or o.flag.removeprefix("--").replace("-", "_")
        parser.add_argument(
            o.flag, type=o.type, default=o.default, metavar=o.metavar, help=o.help, dest=dest
        )


def _network_options(init: argparse.ArgumentParser) -> None:
    """The options ``init`` and ``assemble`` share: everything but where the keys come from."""
    init.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ORG=ADDRESS",
        dest="accounts",
        help="an account ORG (operator or member) transacts from: funded in genesis and "
        "allowlisted (repeat; with none, account allowlisting is off)",
    )
    _values(init, _GENESIS)
    init.add_argument(
        "--evm-fork",
        choices=("london", "shanghai", "cancun"),
        default="cancun",
        help="EVM rules from genesis (default cancun, what solc 0.8.28 targets)",
    )
    _values(init, _SIZE_AND_BALANCE)
    _values(init, _IMAGES)
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
    _values(init, _PORTS)


def _init(args: argparse.Namespace) -> int:
    try:
        spec = _spec(args, args.orgs)
    except NetworkSpecError as exc:
        return _fail("init", exc, EXIT_INVALID)
    try:
        layout = generate_network(spec, args.out)
    except (NetworkError, OSError) as exc:
        return _fail("init", exc, EXIT_FAILED)
    print(f"network written to {layout.root} (chain id {spec.chain_id})")
    _print_validators(layout)
    _print_members(spec)
    print(
        "node keys are in <operator>/node/key (mode 0600); wallet passphrases and RPC "
        "passwords in secrets/ (0600)"
    )
    print(
        "this machine made every organisation's key: the quick local path, for a trial; for a "
        "consortium, use `tracenet network node-key` and `tracenet network assemble`"
    )
    print(
        f"next, as {layout.readme} says: start the validators, create keys in <org>/wallet, "
        "deploy with --out deployment/deployment.json, then `docker compose up -d`"
    )
    return 0


def _node_key(args: argparse.Namespace) -> int:
    try:
        check_organisation_name(args.org)
        made = make_node_key(args.org, args.out, host=args.host, p2p_port=args.p2p_port)
    except NetworkSpecError as exc:
        return _fail("node-key", exc, EXIT_INVALID)
    except (NetworkError, OSError) as exc:
        return _fail("node-key", exc, EXIT_FAILED)
    part = made.public
    print(f"{part.organisation}: validator key in {made.key_file} (mode 0600), wallet passphrase")
    print(f"in {made.passphrase_file} (0600): both stay on this machine, never share them")
    print(f"share {made.public_file} with the other organisations:")
    print(f"  public key  0x{part.public_key_hex}")
    print(f"  address     {part.address}")
    print(f"  enode       {part.enode}")
    return 0


def _rpc_account(args: argparse.Namespace) -> int:
    try:
        if args.name != INDEXER_ACCOUNT:
            check_organisation_name(args.name)
        made = make_rpc_account(args.name, args.out)
    except NetworkSpecError as exc:
        return _fail("rpc-account", exc, EXIT_INVALID)
    except (NetworkError, OSError) as exc:
        return _fail("rpc-account", exc, EXIT_FAILED)
    print(f"{args.name}: JSON-RPC password in {made.password_file} (mode 0600): it stays on")
    print("this machine, where the gateway, the indexer or the CLI that logs in with it runs")
    print(f"share {made.public_file} (its bcrypt hash only) with whoever assembles the network")
    return 0


def _assemble(args: argparse.Namespace) -> int:
    try:
        publics = sorted((read_public_part(p) for p in args.publics), key=_organisation)
        accounts: list[RpcAccount] = [read_rpc_account(p) for p in args.rpc_accounts]
        spec = _spec(args, [part.organisation for part in publics])
    except NetworkSpecError as exc:
        return _fail("assemble", exc, EXIT_INVALID)
    try:
        layout = assemble_network(spec, publics, args.out, accounts)
    except NetworkSpecError as exc:
        return _fail("assemble", exc, EXIT_INVALID)
    except (NetworkError, OSError) as exc:
        return _fail("assemble", exc, EXIT_FAILED)
    print(f"network assembled in {layout.root} (chain id {spec.chain_id}); no key in it")
    _print_validators(layout)
    _print_members(spec)
    given = {account.name for account in accounts}
    for member in spec.members:
        if member.name not in given:
            print(
                f"  {member.name} gave no RPC account (`tracenet network rpc-account --name "
                f"{member.name}`): its gateway can call nothing until one is added"
            )
    digest = hashlib.sha256(layout.genesis.read_bytes()).hexdigest()
    print(f"genesis.json sha256 {digest}: compare it with the other organisations'")
    print(
        f"next, as {layout.readme} says: each organisation copies in its own secrets (an "
        "operator its node key, each its wallet passphrase and RPC URL), on its own machine"
    )
    return 0


def _organisation(part: NodePublic) -> str:
    return part.organisation


def _print_validators(layout: NetworkLayout) -> None:
    for validator in layout.validators:
        print(f"  {validator.organisation}: validator {validator.address}  {validator.enode}")


def _print_members(spec: NetworkSpec) -> None:
    for member in spec.members:
        print(f"  {member.name}: member, gateway only (no validator)")
    print(f"  the indexer runs at {spec.indexer_at}; README.md says who sees what")


def _spec(args: argparse.Namespace, orgs: Sequence[str]) -> NetworkSpec:
    members: list[str] = args.members
    accounts = _accounts_by_org([*orgs, *members], args.accounts)
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
            Organisation(name=name, accounts=tuple(accounts.get(name, ()))) for name in orgs
        ),
        members=tuple(
            Organisation(name=name, accounts=tuple(accounts.get(name, ()))) for name in members
        ),
        indexer_operator=args.indexer_operator,
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
                f"--account names {org!r}, which is neither an operator nor a member",
                field="accounts",
                value=pair,
            )
        accounts.setdefault(org, []).append(address)
    return accounts


def _fail(command: str, exc: Exception, code: int) -> int:
    print(f"tracenet network {command}: error: {exc}", file=sys.stderr)
    return code
