"""Errors of the ``wallet`` package: one root, subclasses that carry structured fields.

::

    WalletError                      root; ``code``, ``field`` and ``retryable`` on every error
    ├── WalletInputError             a label, party, unit or passphrase that is not acceptable
    │   └── InvalidPrivateKeyError   key material that is not a secp256k1 private key
    ├── PassphraseUnavailableError   no passphrase file, environment variable or terminal
    ├── DuplicateKeyError            the label or address is already in the keystore (value)
    ├── KeyNotFoundError             no key with that label or address (value)
    ├── WrongPassphraseError         the passphrase does not decrypt the key (label)
    └── KeyfileCorruptError          a keystore file that cannot be read as one (path)

No message, field or attribute ever holds a passphrase or key material: errors about secrets
name the source (a file, a variable) and the problem, never the value, and are raised
``from None`` so that a library exception quoting the value is not chained.
"""

from __future__ import annotations

from pathlib import Path

from tracenet.kit.errors import TracenetError

__all__ = [
    "DuplicateKeyError",
    "InvalidPrivateKeyError",
    "KeyNotFoundError",
    "KeyfileCorruptError",
    "PassphraseUnavailableError",
    "WalletError",
    "WalletInputError",
    "WrongPassphraseError",
]


class WalletError(TracenetError):
    """Root of every error raised by the ``wallet`` package."""

    code: str = "wallet.error"
    retryable: bool = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        #: The argument at fault, if one is (``label``, ``passphrase``, ``private_key``).
        self.field = field


class WalletInputError(WalletError, ValueError):
    """An argument that fails validation; ``field`` names it."""

    code = "wallet.invalid_input"


class InvalidPrivateKeyError(WalletInputError):
    """Key material that is not 32 bytes of hex in the secp256k1 range (the value is not shown)."""

    code = "wallet.invalid_private_key"

    def __init__(self, source: str) -> None:
        super().__init__(
            f"the private key from {source} is not 64 hex digits (optionally 0x-prefixed) "
            "of a valid secp256k1 key",
            field="private_key",
        )
        self.source = source


class PassphraseUnavailableError(WalletError):
    """No passphrase could be obtained without an interactive terminal."""

    code = "wallet.passphrase_unavailable"


class DuplicateKeyError(WalletError):
    """A key with this label (case-insensitive) or address is already stored."""

    code = "wallet.duplicate_key"

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"a key with {field} {value!r} already exists", field=field)
        self.value = value


class KeyNotFoundError(WalletError, LookupError):
    """No stored key has this label or address."""

    code = "wallet.key_not_found"

    def __init__(self, value: str) -> None:
        super().__init__(f"no key with label or address {value!r}", field="label")
        self.value = value


class WrongPassphraseError(WalletError):
    """The passphrase does not decrypt this key."""

    code = "wallet.wrong_passphrase"

    def __init__(self, label: str) -> None:
        super().__init__(f"wrong passphrase for key {label!r}", field="passphrase")
        self.label = label


class KeyfileCorruptError(WalletError):
    """A file in the keystore directory that is not a Tracenet keystore file."""

    code = "wallet.keyfile_corrupt"

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"keystore file {path} is unreadable: {problem}")
        self.path = path
