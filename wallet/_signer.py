"""What a gateway sees of a key: the ``Signer`` protocol, and ``LocalSigner`` for keystore keys.

A hardware wallet or a cloud key service implements the same four members; nothing outside
this package needs to know where a key lives.

``LocalSigner.sign_transaction`` signs the legacy (EIP-155) transactions the gateway sends
itself: RLP through ``rlp`` (eth-account's own encoder), the hash through ``eth-hash``, and the
signature straight through libsecp256k1 (``coincurve``), about 0.1 ms where eth-account's path
(dict validation, a typed-transaction object, checksums) costs about 1 ms. The bytes are the
same as eth-account's (both are RFC 6979 deterministic, low-s: tests/wallet/test_wallet.py
compares them); every other transaction goes through eth-account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

import coincurve
import rlp  # type: ignore[import-untyped]  # rlp ships no type information
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_typing import ChecksumAddress
from eth_utils.address import is_checksum_address

__all__ = ["LocalSigner", "SignedTx", "Signer"]


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready for ``eth_sendRawTransaction``."""

    raw_transaction: bytes
    hash: bytes


@runtime_checkable
class Signer(Protocol):
    """Signs for one Ethereum address; never exposes the key it signs with."""

    @property
    def address(self) -> ChecksumAddress:
        """The checksummed address transactions and messages are signed for."""
        ...

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTx:
        """Sign a complete transaction dict (nonce, gas, fees and ``chainId`` filled in)."""
        ...

    def sign_message(self, message: bytes | str) -> bytes:
        """EIP-191 ``personal_sign`` of ``message``; the 65-byte signature ``r || s || v``."""
        ...

    def sign_typed_data(self, typed_data: Mapping[str, Any]) -> bytes:
        """EIP-712 signature of a full typed-data message (types, domain, primaryType, message)."""
        ...


_LEGACY_KEYS = frozenset({"to", "data", "value", "gas", "gasPrice", "nonce", "chainId"})
_UINT256 = 2**256


def _legacy_fields(tx: Mapping[str, Any]) -> list[Any] | None:
    """The RLP fields of a legacy EIP-155 transaction (without v, r, s), or ``None`` when
    ``tx`` is anything else (typed, fee market, an odd field or value): eth-account signs it."""
    if not tx.keys() <= _LEGACY_KEYS or not {"gas", "gasPrice", "nonce", "chainId"} <= tx.keys():
        return None
    ints = [tx["nonce"], tx["gasPrice"], tx["gas"], tx.get("value", 0), tx["chainId"]]
    if not all(type(i) is int and 0 <= i < _UINT256 for i in ints) or tx["chainId"] == 0:
        return None
    to, data = tx.get("to"), tx.get("data", b"")
    if not isinstance(to, str) or not _is_checksummed(to):
        return None  # eth-account accepts checksummed addresses only: its error
    if isinstance(data, str):
        if not data.startswith("0x"):
            return None
        data = data[2:]
    try:
        to_bytes = bytes.fromhex(to[2:])
        payload = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    except ValueError:
        return None
    nonce, gas_price, gas, value, chain_id = ints
    return [nonce, gas_price, gas, to_bytes, value, payload, chain_id, 0, 0]


_CHECKSUMMED: set[str] = set()  # addresses seen checksummed (a keccak each, so remembered)


def _is_checksummed(address: str) -> bool:
    if address in _CHECKSUMMED:
        return True
    if len(address) != 42 or not address.startswith("0x") or not is_checksum_address(address):
        return False
    if len(_CHECKSUMMED) < 10_000:
        _CHECKSUMMED.add(address)
    return True


class LocalSigner:
    """A ``Signer`` holding a decrypted key in memory; its repr shows only the address."""

    __slots__ = ("_account", "_secp")

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._secp = coincurve.PrivateKey(bytes(account.key))

    @classmethod
    def from_key(cls, private_key: bytes) -> LocalSigner:
        """Wrap raw key bytes (as decrypted from a keystore file)."""
        account: LocalAccount = Account.from_key(private_key)
        return cls(account)

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTx:
        fields = _legacy_fields(tx)
        if fields is None:
            signed = self._account.sign_transaction(dict(tx))
            return SignedTx(bytes(signed.raw_transaction), bytes(signed.hash))
        signature = self._secp.sign_recoverable(keccak(rlp.encode(fields)), hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        fields[6:] = [signature[64] + 35 + 2 * fields[6], r, s]  # EIP-155 v
        raw = rlp.encode(fields)
        return SignedTx(raw, keccak(raw))

    def sign_message(self, message: bytes | str) -> bytes:
        signable = (
            encode_defunct(text=message)
            if isinstance(message, str)
            else encode_defunct(primitive=message)
        )
        return bytes(self._account.sign_message(signable).signature)

    def sign_typed_data(self, typed_data: Mapping[str, Any]) -> bytes:
        signed = self._account.sign_typed_data(full_message=dict(typed_data))
        return bytes(signed.signature)

    def __repr__(self) -> str:
        return f"LocalSigner(address={self.address!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a LocalSigner holds a private key; it cannot be pickled or copied")
