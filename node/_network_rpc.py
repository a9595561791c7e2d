"""Who may call a validator's JSON-RPC, and which methods: Besu's username/password
authentication with a per-user method allowlist.

Every validator runs with ``rpc-http-authentication-enabled`` and a credentials file
(``<operator>/node/rpc_credentials.toml``) in the format Besu documents (besu-docs,
``public-networks/how-to/use-besu-api/authenticate.md``)::

    [Users.acme]
    password = "$2b$10$..."          # bcrypt, as `besu password hash` writes it
    permissions = ["eth:blockNumber", "eth:call", ...]   # "<api_group>:<method_name>"

A client POSTs ``{"username", "password"}`` to ``/login`` and gets a JWT that expires after
five minutes; it sends it as ``Authorization: Bearer``. ``tracenet.contracts`` does this for
every Tracenet client whose RPC URL carries ``user:password@`` (see ``contracts._rpc``).

Three kinds of account, each holding only its own bcrypt hash here:

* a **member** (``--member``): the methods its gateway calls (:data:`GATEWAY_METHODS`, from
  ``gateway/pipeline/_chain.py``), on every validator so that it can fail over. Not ``eth_getLogs``.
* the **indexer** (account ``indexer``): the methods the mirror's follower and the verifier call
  (:data:`INDEXER_METHODS`, ``indexer/mirror/_chain.py`` and ``contracts._rpc``), ``eth_getLogs``
  over the whole chain included; only on the validator of the operator that runs it.
* the **operator** itself: every method (``*:*``), on its own validator only.

What Besu's method allowlist cannot do: it restricts methods, not data. A member allowed
``eth_getBlockByNumber`` and ``eth_getTransactionReceipt`` (its gateway needs both to find its
own receipts) can still walk the chain block by block and read every receipt's logs; ``eth_call``
reads any contract state. Withholding ``eth_getLogs`` removes the bulk query, not the data.

The ceremony keeps passwords where they are used: whoever will use an account runs
``tracenet network rpc-account --name NAME`` (:func:`make_rpc_account`) on its own machine,
keeps the password (0600) and shares ``NAME.rpc.json``, which holds only the bcrypt hash.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from tracenet.node._network_errors import NetworkOutputExistsError, PublicPartError
from tracenet.node._network_keys import read_shared_part, write_secret

__all__ = [
    "GATEWAY_METHODS",
    "INDEXER_ACCOUNT",
    "INDEXER_METHODS",
    "OPERATOR_PERMISSIONS",
    "RPC_ACCOUNT_FORMAT",
    "MadeRpcAccount",
    "RpcAccount",
    "credentials_toml",
    "hash_password",
    "make_rpc_account",
    "new_password",
    "permission",
    "read_rpc_account",
]

RPC_ACCOUNT_FORMAT = "tracenet-rpc-account/1"
INDEXER_ACCOUNT = "indexer"
#: Every JSON-RPC method a member's gateway calls (gateway/pipeline/_chain.py), and none other.
#: ``debug_traceTransaction`` is left out on purpose: the DEBUG API is not enabled on the
#: validators, and the gateway falls back to replaying a failed call with ``eth_call``.
GATEWAY_METHODS = (
    "eth_blockNumber",
    "eth_call",
    "eth_chainId",
    "eth_gasPrice",
    "eth_getBlockByNumber",
    "eth_getBlockReceipts",
    "eth_getTransactionByHash",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_sendRawTransaction",
)
#: Every JSON-RPC method the indexer's follower and verifier call (indexer/mirror/_chain.py,
#: contracts RpcClient): reading only, ``eth_getLogs`` over the whole chain included.
INDEXER_METHODS = (
    "eth_blockNumber",
    "eth_call",
    "eth_chainId",
    "eth_getBlockByNumber",
    "eth_getLogs",
)
#: An operator's own account on its own validator: everything (Besu's ``*:*``).
OPERATOR_PERMISSIONS = ("*:*",)
#: bcrypt's work factor, as ``besu password hash`` uses (its hashes start ``$2a$10$``).
BCRYPT_ROUNDS = 10
_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")


def permission(method: str) -> str:
    """Besu's permission string for a method: ``eth_getLogs`` -> ``eth:getLogs``."""
    group, sep, name = method.partition("_")
    if not sep or not group or not name:
        raise ValueError(f"{method!r} is not an <api_group>_<method> name")
    return f"{group}:{name}"


@dataclass(frozen=True, slots=True)
class RpcAccount:
    """One user of a validator's JSON-RPC: its name and the bcrypt hash of its password."""

    name: str
    password_hash: str

    def document(self) -> dict[str, str]:
        return {
            "format": RPC_ACCOUNT_FORMAT,
            "name": self.name,
            "password_hash": self.password_hash,
        }


@dataclass(frozen=True, slots=True)
class MadeRpcAccount:
    account: RpcAccount
    password_file: Path
    public_file: Path


def new_password() -> str:
    """43 URL-safe characters from the OS CSPRNG (256 bits; under bcrypt's 72-byte limit)."""
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    """The bcrypt hash Besu's credentials file wants (``$2b$10$...``)."""
    return bcrypt.hashpw(password.encode("ascii"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def make_rpc_account(name: str, out: Path) -> MadeRpcAccount:
    """Write a new password (0600) and ``NAME.rpc.json`` (its bcrypt hash, to share) into the
    new or empty directory ``out``. ``name`` must already be a valid organisation name."""
    out = out.absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetworkOutputExistsError(out)
    password = new_password()
    account = RpcAccount(name, hash_password(password))
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)
    password_file = out / "rpc-password"
    write_secret(password_file, password)
    public_file = out / f"{name}.rpc.json"
    public_file.write_text(json.dumps(account.document(), indent=2) + "\n")
    return MadeRpcAccount(account, password_file, public_file)


def read_rpc_account(path: Path) -> RpcAccount:
    """Read and check ``NAME.rpc.json``; :class:`PublicPartError` names the field at fault."""
    document = read_shared_part(path, RPC_ACCOUNT_FORMAT, "tracenet network rpc-account")
    name = document.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise PublicPartError(
            path, "name", "must be 1-32 lowercase letters, digits or inner hyphens"
        )
    password_hash = document.get("password_hash")
    if not isinstance(password_hash, str) or not _BCRYPT.fullmatch(password_hash):
        raise PublicPartError(
            path,
            "password_hash",
            "must be a bcrypt hash ($2b$10$ and 53 characters), never the password itself",
        )
    return RpcAccount(name, password_hash)


def credentials_toml(
    *,
    operator: str,
    own: RpcAccount | None,
    indexer: RpcAccount | None,
    members: Sequence[RpcAccount],
    pending: Sequence[str] = (),
) -> str:
    """The credentials file of ``operator``'s validator. ``pending`` are members that sent no
    account request yet: they are listed as comments and cannot call anything."""
    lines = [
        f"# JSON-RPC accounts of {operator}'s validator (Besu username/password authentication),",
        "# generated by `tracenet network`. Only bcrypt hashes: each password stays with whoever",
        '# uses the account. Permissions are Besu\'s "<api_group>:<method_name>".',
    ]
    entries: list[tuple[str, RpcAccount, Sequence[str], str]] = []
    if own is not None:
        entries.append(("operator", own, OPERATOR_PERMISSIONS, f"{operator} itself, every method"))
    if indexer is not None:
        entries.append(
            ("indexer", indexer, [permission(m) for m in INDEXER_METHODS], "the indexer")
        )
    gateway = [permission(m) for m in GATEWAY_METHODS]
    for member in members:
        entries.append(("member", member, gateway, f"member {member.name}'s gateway"))
    for _, account, permissions, who in entries:
        lines += [
            "",
            f"# {who}",
            f"[Users.{account.name}]",
            f"password = {json.dumps(account.password_hash)}",
            "permissions = [" + ", ".join(json.dumps(p) for p in permissions) + "]",
        ]
    for name in pending:
        lines += ["", f"# member {name}: no account yet (no {name}.rpc.json was given)"]
    return "\n".join(lines) + "\n"
