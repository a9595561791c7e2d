"""What a gateway sees of a key: the ``Signer`` protocol, and ``LocalSigner`` for keystore keys.

A hardware wallet or a cloud key service implements the same four members; nothing outside
this package needs to know where a key lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

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


class LocalSigner:
    """A ``Signer`` holding a decrypted key in memory; its repr shows only the address."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @classmethod
    def from_key(cls, private_key: bytes) -> LocalSigner:
        """Wrap raw key bytes (as decrypted from a keystore file)."""
        account: LocalAccount = Account.from_key(private_key)
        return cls(account)

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    def sign_transaction(self, tx: Mapping[str, Any]) -> SignedTx:
        signed = self._account.sign_transaction(dict(tx))
        return SignedTx(bytes(signed.raw_transaction), bytes(signed.hash))

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
