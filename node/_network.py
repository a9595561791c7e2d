"""``tracenet network init|node-key|rpc-account|assemble``: every file a multi-organisation
Besu/QBFT network needs.

Two kinds of organisation. **Operators** (the scheme owner, certification bodies, an audit firm,
the consortium association: at least four, as QBFT needs) run the validators, and so see the
whole chain. **Members** (the companies whose shipments the ledger records) run a gateway only
and reach the chain through an operator's JSON-RPC, with an account whose method allowlist
holds what a gateway calls and not ``eth_getLogs`` (see ``_network_rpc``); they read the
ledger through the indexer's party-scoped API keys. The indexer runs at one operator
(``indexer_operator``, the first by default) with its own RPC account.

Two ways to make one. The key ceremony, for a real consortium: each organisation runs
``tracenet network node-key`` on its own machine (its validator key and wallet passphrase never
leave it) and shares the public part; ``tracenet network assemble`` builds genesis, permissions,
static nodes, node configs and compose from the public parts alone::

    from tracenet.node._network import NetworkSpec, Organisation, assemble_network
    from tracenet.node._network_keys import read_public_part

    names = ("acme", "bolt", "cora", "dune")
    parts = [read_public_part(Path(f"{name}.public.json")) for name in names]
    spec = NetworkSpec(organisations=tuple(Organisation(p.organisation) for p in parts))
    layout = assemble_network(spec, parts, Path("net"))

The quick local path, for a trial on one machine: ``generate_network`` (``tracenet network
init``) makes every organisation's key and secret in one folder, so whoever runs it holds the
keys of every validator and could sign blocks for all of them.

Node keys are drawn from the operating system's CSPRNG, written once with mode 0600 and never
returned, printed or logged: a :class:`NetworkLayout` carries only public material (addresses,
public keys, enode URLs) and paths. The output appears all at once: it is assembled in a private
sibling directory and renamed into place, so a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey
from eth_utils.address import is_checksum_address, is_hex_address

from tracenet.node._network_errors import (
    NetworkError,
    NetworkOutputExistsError,
    NetworkSpecError,
    PublicPartError,
    QbftExtraDataError,
    TooFewOrganisationsError,
)
from tracenet.node._network_files import NetworkLayout, Validator, write_network
from tracenet.node._network_keys import NodePublic, new_node_key, public_part
from tracenet.node._network_qbft import EvmFork, QbftExtraData, decode_qbft_extra_data
from tracenet.node._network_rpc import INDEXER_ACCOUNT, RpcAccount, hash_password, new_password

__all__ = [
    "DEFAULT_BALANCE_WEI",
    "DEFAULT_BESU_IMAGE",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_GAS_LIMIT",
    "DEFAULT_POSTGRES_IMAGE",
    "DEFAULT_TRACENET_IMAGE",
    "MIN_ORGANISATIONS",
    "NetworkError",
    "NetworkLayout",
    "NetworkOutputExistsError",
    "NetworkSpec",
    "NetworkSpecError",
    "Organisation",
    "PublicPartError",
    "QbftExtraData",
    "QbftExtraDataError",
    "TooFewOrganisationsError",
    "Validator",
    "assemble_network",
    "check_organisation_name",
    "decode_qbft_extra_data",
    "find_build_context",
    "generate_network",
]

DEFAULT_CHAIN_ID = 7177
#: n >= 3f + 1: four validators are the fewest with which QBFT survives one fault.
MIN_ORGANISATIONS = 4
#: Pinned, never ``latest``: a network's nodes must agree on the protocol rules they run.
#: Besu 26.6.0 (June 2026) needs Java 25, which its image bundles. Every option and genesis key the
#: generator writes is checked against Besu's documented names in ``node/besu_options.txt`` and
#: ``node/besu_genesis_keys.txt`` (tests/node/test_network.py), since no Besu runs in the tests.
BESU_VERSION = "26.6.0"
BESU_JAVA = "25"
DEFAULT_BESU_IMAGE = f"hyperledger/besu:{BESU_VERSION}"
DEFAULT_TRACENET_IMAGE = "tracenet:0.1.0"
DEFAULT_POSTGRES_IMAGE = "postgres:16"
#: Besu's free-gas guide: the block gas limit as large as tooling accepts (2**53 - 1).
DEFAULT_GAS_LIMIT = 0x1FFFFFFFFFFFFF
#: Genesis balance of each organisation account: unused while gas is free, there so that a
#: client which insists on a non-zero gas price still gets its transaction in.
DEFAULT_BALANCE_WEI = 10**24
#: EIP-2294's ceiling for chain ids.
MAX_CHAIN_ID = 2**63 - 37
#: A DNS label that is also a compose service name: lowercase, digits, inner hyphens.
_ORG_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation of the network: as an operator (``NetworkSpec.organisations``) it runs a
    validator and a gateway; as a member (``NetworkSpec.members``) a gateway only.

    ``accounts`` are the 0x-addresses it transacts from (deployer, gateway signer); they get a
    genesis balance and, when any organisation lists one, are the only senders Besu accepts.
    """

    name: str
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """What to generate. Invalid values raise :class:`NetworkSpecError` on construction."""

    #: The validator operators, at least four.
    organisations: tuple[Organisation, ...]
    #: Gateways only: no validator, RPC through an operator with a gateway's method allowlist.
    members: tuple[Organisation, ...] = ()
    #: The operator whose validator the indexer reads (it runs the indexer); default the first.
    indexer_operator: str | None = None
    chain_id: int = DEFAULT_CHAIN_ID
    block_period_seconds: int = 1
    request_timeout_seconds: int = 10
    epoch_length: int = 30_000
    gas_limit: int = DEFAULT_GAS_LIMIT
    evm_fork: EvmFork = "cancun"
    contract_size_limit: int | None = None
    account_balance_wei: int = DEFAULT_BALANCE_WEI
    besu_image: str = DEFAULT_BESU_IMAGE
    gateway_image: str = DEFAULT_TRACENET_IMAGE
    indexer_image: str = DEFAULT_TRACENET_IMAGE
    postgres_image: str = DEFAULT_POSTGRES_IMAGE
    #: Directory holding ``docker/Dockerfile``; ``None`` means the images must already exist.
    build_context: Path | None = None
    rpc_host_port: int = 8545
    gateway_host_port: int = 8100

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def operators(self) -> tuple[Organisation, ...]:
        return self.organisations

    @property
    def everyone(self) -> tuple[Organisation, ...]:
        """Operators, then members: every organisation that runs a gateway."""
        return self.organisations + self.members

    @property
    def indexer_at(self) -> str:
        return self.indexer_operator or self.organisations[0].name

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(a for org in self.everyone for a in org.accounts)


def generate_network(
    spec: NetworkSpec,
    out: Path,
    *,
    entropy: Callable[[int], bytes] = secrets.token_bytes,
) -> NetworkLayout:
    """The quick local path: generate the network described by ``spec``, every validator's key
    and every secret included, into the new or empty directory ``out``.

    ``entropy(n)`` returns ``n`` random bytes; the default is the OS CSPRNG. Tests may pass a
    deterministic source, never production code.
    """
    orgs = spec.organisations
    node_keys = [new_node_key(entropy) for _ in orgs]
    publics = [public_part(o.name, k.public_key) for o, k in zip(orgs, node_keys, strict=True)]
    # one JSON-RPC password per operator, member and the indexer; Besu gets only the hashes
    passwords = {name: new_password() for name in (*_names(spec.everyone), INDEXER_ACCOUNT)}
    accounts = [RpcAccount(name, hash_password(pw)) for name, pw in passwords.items()]
    return _write(spec, out, publics, node_keys, accounts, passwords)


def assemble_network(
    spec: NetworkSpec,
    publics: Sequence[NodePublic],
    out: Path,
    rpc_accounts: Sequence[RpcAccount] = (),
) -> NetworkLayout:
    """The key ceremony's last step: the network described by ``spec`` from the validators'
    public parts alone (one per operator, any order) and the JSON-RPC accounts' bcrypt hashes
    (``tracenet network rpc-account``: an operator's own, a member's, the indexer's), into the
    new or empty ``out``. Nothing secret is written: each organisation adds its own key,
    passphrase and RPC password. A member without an account can call no RPC method yet."""
    _check_rpc_accounts(spec, rpc_accounts)
    by_name = {part.organisation: part for part in publics}
    names = [org.name for org in spec.organisations]
    if len(by_name) != len(publics) or sorted(by_name) != sorted(names):
        given = ", ".join(part.organisation for part in publics)
        raise NetworkSpecError(
            f"one public part per organisation is needed ({', '.join(names)}); got {given}",
            field="organisations",
            value=given,
        )
    seen: dict[bytes, str] = {}
    for part in publics:
        key = part.public_key.to_bytes()
        if key in seen:
            raise NetworkSpecError(
                f"{part.organisation} and {seen[key]} share one public key: each organisation "
                "must make its own with `tracenet network node-key`",
                field="public_key",
                value=part.organisation,
            )
        seen[key] = part.organisation
    return _write(spec, out, [by_name[name] for name in names], None, rpc_accounts, None)


def _names(orgs: Sequence[Organisation]) -> list[str]:
    return [org.name for org in orgs]


def _check_rpc_accounts(spec: NetworkSpec, accounts: Sequence[RpcAccount]) -> None:
    known = {*_names(spec.everyone), INDEXER_ACCOUNT}
    seen: set[str] = set()
    for account in accounts:
        if account.name not in known:
            raise NetworkSpecError(
                f"RPC account {account.name!r} is neither an operator, a member nor "
                f"{INDEXER_ACCOUNT!r}: add it with --member or fix its name",
                field="rpc_accounts",
                value=account.name,
            )
        if account.name in seen:
            raise NetworkSpecError(
                f"RPC account {account.name!r} is given twice",
                field="rpc_accounts",
                value=account.name,
            )
        seen.add(account.name)


def _write(
    spec: NetworkSpec,
    out: Path,
    publics: Sequence[NodePublic],
    node_keys: Sequence[PrivateKey] | None,
    rpc_accounts: Sequence[RpcAccount],
    rpc_passwords: dict[str, str] | None,
) -> NetworkLayout:
    out = out.absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetworkOutputExistsError(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = write_network(
            spec,
            staging,
            publics,
            final_root=out,
            node_keys=node_keys,
            rpc_accounts=rpc_accounts,
            rpc_passwords=rpc_passwords,
        )
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.chmod(0o755)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written.under(out)


def find_build_context() -> Path | None:
    """The source tree this package runs from, if it has ``docker/Dockerfile`` (a checkout)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "docker" / "Dockerfile").is_file() else None


def check_organisation_name(name: str) -> None:
    """NetworkSpecError unless ``name`` can name an organisation (docker services, hosts)."""
    if name == INDEXER_ACCOUNT:
        raise NetworkSpecError(
            f"{INDEXER_ACCOUNT!r} names the indexer's RPC account; choose another name for the "
            "organisation",
            field="organisations",
            value=name,
        )
    if not _ORG_NAME.fullmatch(name):
        raise NetworkSpecError(
            f"organisation name {name!r} must be 1-32 lowercase letters, digits or inner "
            "hyphens, starting with a letter (it names docker services and hosts)",
            field="organisations",
            value=name,
        )


def _validate(spec: NetworkSpec) -> None:
    operators, everyone = _validate_organisations(spec)
    _validate_accounts(spec)
    _validate_numbers(spec, operators=len(operators), everyone=len(everyone))
    _validate_images(spec)


def _validate_organisations(spec: NetworkSpec) -> tuple[list[str], list[str]]:
    """Names of the operators and of everyone: enough operators, valid unique names, the
    indexer at an operator."""
    operators = _names(spec.organisations)
    if len(operators) < MIN_ORGANISATIONS:
        raise TooFewOrganisationsError(len(operators), MIN_ORGANISATIONS)
    names = _names(spec.everyone)
    for name in names:
        check_organisation_name(name)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise NetworkSpecError(
            f"organisation names must be unique; repeated: {', '.join(duplicates)} (an "
            "organisation is an operator or a member, not both)",
            field="organisations",
            value=duplicates,
        )
    if spec.indexer_operator is not None and spec.indexer_operator not in operators:
        raise NetworkSpecError(
            f"the indexer must run at an operator (it reads the whole chain); "
            f"{spec.indexer_operator!r} is not one of {', '.join(operators)}",
            field="indexer_operator",
            value=spec.indexer_operator,
        )
    return operators, names


def _validate_accounts(spec: NetworkSpec) -> None:
    """Each account an address, none listed twice."""
    seen: set[str] = set()
    for org in spec.everyone:
        for account in org.accounts:
            _check_account(org.name, account)
            if account.lower() in seen:
                raise NetworkSpecError(
                    f"account {account} is listed more than once",
                    field="accounts",
                    value=account,
                )
            seen.add(account.lower())


def _validate_numbers(spec: NetworkSpec, *, operators: int, everyone: int) -> None:
    """Every number in its range; the validators' and the gateways' host ports apart."""
    _check_range("chain_id", spec.chain_id, 1, MAX_CHAIN_ID)
    _check_range("block_period_seconds", spec.block_period_seconds, 1, 3600)
    _check_range("request_timeout_seconds", spec.request_timeout_seconds, 1, 3600)
    _check_range("epoch_length", spec.epoch_length, 1, 2**63 - 1)
    _check_range("gas_limit", spec.gas_limit, 5000, 2**63 - 1)
    _check_range("account_balance_wei", spec.account_balance_wei, 0, 2**256 - 1)
    if spec.contract_size_limit is not None:
        _check_range("contract_size_limit", spec.contract_size_limit, 1, 2**31 - 1)
    _check_range("rpc_host_port", spec.rpc_host_port, 1, 65536 - operators)
    _check_range("gateway_host_port", spec.gateway_host_port, 1, 65536 - everyone)
    rpc_ports = range(spec.rpc_host_port, spec.rpc_host_port + operators)
    gateway_ports = range(spec.gateway_host_port, spec.gateway_host_port + everyone)
    if set(rpc_ports) & set(gateway_ports):
        raise NetworkSpecError(
            f"host ports {rpc_ports.start}-{rpc_ports.stop - 1} (RPC) and "
            f"{gateway_ports.start}-{gateway_ports.stop - 1} (gateways) overlap",
            field="gateway_host_port",
            value=spec.gateway_host_port,
        )


def _validate_images(spec: NetworkSpec) -> None:
    """A build context with its Dockerfile, image references without spaces."""
    if (
        spec.build_context is not None
        and not (spec.build_context / "docker" / "Dockerfile").is_file()
    ):
        raise NetworkSpecError(
            f"build context {spec.build_context} has no docker/Dockerfile",
            field="build_context",
            value=str(spec.build_context),
        )
    for attr in ("besu_image", "gateway_image", "indexer_image", "postgres_image"):
        image = getattr(spec, attr)
        if not image or any(c.isspace() for c in image):
            raise NetworkSpecError(
                f"{attr} {image!r} is not an image reference", field=attr, value=image
            )


def _check_account(org: str, account: str) -> None:
    if not is_hex_address(account) or not account.startswith("0x"):
        raise NetworkSpecError(
            f"account {account!r} of {org} is not a 0x-prefixed 20-byte hex address",
            field="accounts",
            value=account,
        )
    mixed_case = account[2:] not in (account[2:].lower(), account[2:].upper())
    if mixed_case and not is_checksum_address(account):
        raise NetworkSpecError(
            f"account {account} of {org} fails its EIP-55 checksum: a character is probably "
            "mistyped (give it all-lowercase only if you are sure it is right)",
            field="accounts",
            value=account,
        )


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise NetworkSpecError(
            f"{name} must be an integer from {low} to {high}; got {value!r}",
            field=name,
            value=value,
        )
