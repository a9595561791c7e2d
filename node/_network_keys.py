"""The key ceremony: each organisation makes its validator key on its own machine.

``tracenet network node-key --org acme --out acme-keys`` (:func:`make_node_key`) writes, on the
machine that will run acme's validator::

    acme-keys/key                 the validator's node key (mode 0600): stays on this machine
    acme-keys/wallet-passphrase   the passphrase of acme's key store (mode 0600): stays too
    acme-keys/acme.public.json    the public part: share it with the other organisations

The public part is a small JSON document (``format`` ``tracenet-node-public/1``)::

    {"format": "tracenet-node-public/1", "organisation": "acme",
     "public_key": "0x<64 bytes: x and y of the uncompressed point, no 04 prefix>",
     "address": "0x<validator address, EIP-55>", "host": "besu-acme", "p2p_port": 30303,
     "enode": "enode://<public key>@besu-acme:30303"}

``tracenet network assemble`` reads one per organisation (:func:`read_public_part`), checks that
the public key is a point of secp256k1 and that the address and enode are the ones it derives
(a part edited by hand, or mixed up with another organisation's, fails there), and builds the
network from public keys alone. The address and enode are redundant on purpose: people compare
them by eye when they exchange the files.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PrivateKey, PublicKey
from eth_utils.address import to_checksum_address

from tracenet.node._network_besu import P2P_PORT, enode_url
from tracenet.node._network_errors import (
    NetworkError,
    NetworkOutputExistsError,
    NetworkSpecError,
    PublicPartError,
)

__all__ = [
    "PUBLIC_FORMAT",
    "MadeNodeKey",
    "NodePublic",
    "make_node_key",
    "new_node_key",
    "public_part",
    "read_public_part",
    "write_secret",
]

PUBLIC_FORMAT = "tracenet-node-public/1"
#: secp256k1: y^2 = x^3 + 7 over the field of this prime.
_P = 2**256 - 2**32 - 977
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True, slots=True)
class NodePublic:
    """One organisation's public part: all the others need to admit its validator."""

    organisation: str
    public_key: PublicKey
    host: str
    p2p_port: int = P2P_PORT

    @property
    def public_key_hex(self) -> str:
        """128 hex digits, no prefix (as in an enode URL)."""
        return self.public_key.to_bytes().hex()

    @property
    def address(self) -> str:
        return to_checksum_address(self.public_key.to_canonical_address())

    @property
    def enode(self) -> str:
        return enode_url(self.public_key_hex, self.host, self.p2p_port)

    def document(self) -> dict[str, Any]:
        return {
            "format": PUBLIC_FORMAT,
            "organisation": self.organisation,
            "public_key": "0x" + self.public_key_hex,
            "address": self.address,
            "host": self.host,
            "p2p_port": self.p2p_port,
            "enode": self.enode,
        }


@dataclass(frozen=True, slots=True)
class MadeNodeKey:
    """What :func:`make_node_key` wrote; the private key itself is not here."""

    public: NodePublic
    key_file: Path
    passphrase_file: Path
    public_file: Path


def new_node_key(entropy: Callable[[int], bytes] = secrets.token_bytes) -> PrivateKey:
    """A secp256k1 key from ``entropy`` (the OS CSPRNG unless a test passes its own)."""
    # Rejection sampling: about one draw in 2**128 falls outside [1, n-1] and is drawn again.
    for _ in range(64):
        candidate = entropy(32)
        if len(candidate) == 32 and 0 < int.from_bytes(candidate, "big") < SECPK1_N:
            return PrivateKey(candidate)
    raise NetworkError("the entropy source keeps returning invalid secp256k1 keys")


def public_part(organisation: str, public_key: PublicKey, host: str | None = None,
                p2p_port: int = P2P_PORT) -> NodePublic:  # fmt: skip
    """The public part of ``organisation``'s validator; its host defaults to the compose
    service name (``besu-<org>``), what the generated compose file resolves.
    NetworkSpecError for a host or port no validator could dial."""
    part = NodePublic(organisation, public_key, host or f"besu-{organisation}", p2p_port)
    problem = _endpoint_problem(part.host, part.p2p_port)
    if problem is not None:
        field, rule = problem
        value = part.host if field == "host" else part.p2p_port
        raise NetworkSpecError(f"{field} {value!r} {rule}", field=field, value=value)
    return part


def make_node_key(
    organisation: str,
    out: Path,
    *,
    host: str | None = None,
    p2p_port: int = P2P_PORT,
    entropy: Callable[[int], bytes] = secrets.token_bytes,
) -> MadeNodeKey:
    """Write a new validator key, a wallet passphrase (both 0600) and the public part into
    the new or empty directory ``out``. ``organisation`` must already be a valid name."""
    out = out.absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NetworkOutputExistsError(out)
    key = new_node_key(entropy)
    part = public_part(organisation, key.public_key, host, p2p_port)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)
    key_file, passphrase_file = out / "key", out / "wallet-passphrase"
    # Besu reads the key as 32 bytes of hex (its own generator writes it 0x-prefixed).
    write_secret(key_file, "0x" + key.to_bytes().hex())
    write_secret(passphrase_file, secrets.token_urlsafe(32))
    public_file = out / f"{organisation}.public.json"
    public_file.write_text(json.dumps(part.document(), indent=2) + "\n")
    return MadeNodeKey(part, key_file, passphrase_file, public_file)


def read_shared_part(path: Path, expected_format: str, made_by: str) -> dict[str, Any]:
    """The JSON object an organisation shared (its node's public part, a member's RPC account),
    checked to be of ``expected_format``; :class:`PublicPartError` names what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PublicPartError(path, "file", f"cannot be read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise PublicPartError(path, "file", f"is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise PublicPartError(path, "file", "must be a JSON object")
    if document.get("format") != expected_format:
        raise PublicPartError(path, "format", f"must be {expected_format!r} (made by `{made_by}`)")
    return document


def read_public_part(path: Path) -> NodePublic:
    """Read and check one organisation's public part; :class:`PublicPartError` names the field
    and the rule it breaks."""
    document = read_shared_part(path, PUBLIC_FORMAT, "tracenet network node-key")
    organisation = document.get("organisation")
    if not isinstance(organisation, str) or not organisation:
        raise PublicPartError(path, "organisation", "must be the organisation's name")
    public_key = _public_key(path, document.get("public_key"))
    host, port = document.get("host"), document.get("p2p_port", P2P_PORT)
    if not isinstance(host, str):
        raise PublicPartError(path, "host", "must be the host name other validators dial")
    if isinstance(port, bool) or not isinstance(port, int):
        raise PublicPartError(path, "p2p_port", "must be a port number from 1 to 65535")
    problem = _endpoint_problem(host, port)
    if problem is not None:
        raise PublicPartError(path, *problem)
    part = public_part(organisation, public_key, host, port)
    for name, derived in (("address", part.address), ("enode", part.enode)):
        given = document.get(name)
        if given is not None and given != derived:
            raise PublicPartError(
                path, name, f"is {given!r} but the public key gives {derived!r}: the file was "
                "edited or mixed up with another organisation's; ask for it again",
            )  # fmt: skip
    return part


def _public_key(path: Path, value: object) -> PublicKey:
    rule = "must be 0x and 128 hex digits (the uncompressed point without its 04 prefix)"
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{128}", value):
        raise PublicPartError(path, "public_key", rule)
    raw = bytes.fromhex(value[2:])
    x, y = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (x < _P and y < _P and (y * y - x * x * x - 7) % _P == 0):
        raise PublicPartError(path, "public_key", "is not a point of the secp256k1 curve")
    return PublicKey(raw)


def _endpoint_problem(host: str, port: int) -> tuple[str, str] | None:
    """(field, rule) when other validators could not dial ``host:port``."""
    if not _HOST.fullmatch(host):
        return "host", "must be a host name or IPv4 address (letters, digits, dots, hyphens)"
    if not 1 <= port <= 65535:
        return "p2p_port", "must be a port number from 1 to 65535"
    return None


def write_secret(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 before a byte is written; refuse to replace a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        os.fchmod(file.fileno(), 0o600)  # the umask may only have narrowed it; make it exact
        file.write(text)
