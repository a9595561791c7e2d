"""Encrypted keys on disk: one Ethereum keystore v3 file (scrypt) per key, plus plain metadata.

A file is ``<dir>/<label>.json``: the standard v3 object that other tools read as is, with an
extra ``"tracenet"`` member holding the non-secret metadata (label, party, unit, created-at).
Listing reads only that metadata; only ``unlock`` decrypts. Files are 0600 in a 0700 directory
and are written atomically (temporary file, fsync, rename) under a directory lock.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from pydantic import SecretStr

from tracenet.wallet._settings import STANDARD_SCRYPT_N, WalletSettings
from tracenet.wallet._signer import LocalSigner
from tracenet.wallet.errors import (
    DuplicateKeyError,
    InvalidPrivateKeyError,
    KeyfileCorruptError,
    KeyNotFoundError,
    WalletInputError,
    WrongPassphraseError,
)

__all__ = ["KeyInfo", "Keystore"]

log = logging.getLogger(__name__)

_LABEL: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NAME: Final = re.compile(r"[^\x00-\x1f\x7f]{1,64}")  # party, unit: printable, 1-64 characters
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_KEY_HEX: Final = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64}")
_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_META: Final = "tracenet"


@dataclass(frozen=True)
class KeyInfo:
    """The public facts about a stored key; reading them never needs the passphrase."""

    label: str
    address: ChecksumAddress
    party: str
    unit: str | None
    created_at: datetime
    path: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "address": self.address,
            "party": self.party,
            "unit": self.unit,
            "created_at": self.created_at.isoformat(),
            "path": str(self.path),
        }


class Keystore:
    """The keys of one directory. ``scrypt_n`` is the work factor for keys written from now on."""

    def __init__(self, directory: Path, *, scrypt_n: int = STANDARD_SCRYPT_N) -> None:
        self.directory = directory.absolute()
        self.scrypt_n = scrypt_n

    @classmethod
    def from_settings(cls, settings: WalletSettings | None = None) -> Keystore:
        s = settings if settings is not None else WalletSettings()
        return cls(s.dir, scrypt_n=s.scrypt_n)

    def __repr__(self) -> str:
        return f"Keystore({str(self.directory)!r})"

    # -- writing ---------------------------------------------------------------------------

    def create(
        self, *, label: str, party: str, unit: str | None = None, passphrase: SecretStr | str
    ) -> KeyInfo:
        """Generate a new key, encrypt it with ``passphrase`` and store it under ``label``."""
        return self._store(secrets.token_bytes(32), label, party, unit, passphrase)

    def import_key(
        self,
        private_key: SecretStr | str,
        *,
        label: str,
        party: str,
        unit: str | None = None,
        passphrase: SecretStr | str,
        source: str = "the argument",
    ) -> KeyInfo:
        """Store an existing key (64 hex digits, optional 0x); ``source`` names it in errors."""
        text = _reveal(private_key).strip()
        if not _KEY_HEX.fullmatch(text):
            raise InvalidPrivateKeyError(source) from None
        raw = bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
        if not 0 < int.from_bytes(raw, "big") < _SECP256K1_N:
            raise InvalidPrivateKeyError(source) from None
        return self._store(raw, label, party, unit, passphrase)

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> builtins.list[KeyInfo]:
        """Every stored key, by party, unit and label. Reads metadata only; never decrypts."""
        if not self.directory.is_dir():
            return []
        infos = [self._load(path)[0] for path in self.directory.glob("*.json")]
        return sorted(infos, key=lambda i: (i.party, i.unit or "", i.label.lower()))

    def get(self, label_or_address: str) -> KeyInfo:
        """The key with this label (case-insensitive) or address; KeyNotFoundError if none."""
        return self._find(label_or_address)[0]

    def export_address(self, label_or_address: str) -> ChecksumAddress:
        """The checksummed address of a stored key."""
        return self.get(label_or_address).address

    def unlock(self, label_or_address: str, passphrase: SecretStr | str) -> LocalSigner:
        """Decrypt a key into a ``LocalSigner``; WrongPassphraseError if it does not decrypt."""
        info, keyfile = self._find(label_or_address)
        try:
            key = Account.decrypt(keyfile, _reveal(passphrase))
        except (ValueError, TypeError) as exc:  # eth-keyfile's errors never quote the password
            if "MAC mismatch" not in str(exc):
                raise KeyfileCorruptError(info.path, str(exc)) from None
            log.warning("wrong passphrase for key %s", info.label)
            raise WrongPassphraseError(info.label) from None
        signer = LocalSigner.from_key(bytes(key))
        if signer.address != info.address:
            raise KeyfileCorruptError(info.path, "the decrypted key is for another address")
        log.info("unlocked key %s (%s)", info.label, info.address)
        return signer

    # -- internals -------------------------------------------------------------------------

    def _store(
        self, key: bytes, label: str, party: str, unit: str | None, passphrase: SecretStr | str
    ) -> KeyInfo:
        _check_name("label", label, _LABEL)
        _check_name("party", party, _NAME)
        if unit is not None:
            _check_name("unit", unit, _NAME)
        secret = _reveal(passphrase)
        if not secret:
            raise WalletInputError("the passphrase is empty", field="passphrase")
        address = to_checksum_address(Account.from_key(key).address)
        self._check_unique(label, address)  # fail fast, before the slow key derivation
        keyfile = Account.encrypt(key, secret, kdf="scrypt", iterations=self.scrypt_n)
        created = datetime.now(UTC).replace(microsecond=0)
        keyfile[_META] = {
            "label": label,
            "party": party,
            "unit": unit,
            "created_at": created.isoformat(),
        }
        path = self.directory / f"{label}.json"
        self._ensure_directory()
        with self._locked():
            self._check_unique(label, address)
            _write_atomically(path, keyfile)
        log.info("stored key %s (%s) for party %s", label, address, party)
        return KeyInfo(label, address, party, unit, created, path)

    def _check_unique(self, label: str, address: str) -> None:
        for info in self.list():
            if info.label.lower() == label.lower():
                raise DuplicateKeyError("label", label)
            if info.address == address:
                raise DuplicateKeyError("address", address)

    def _find(self, label_or_address: str) -> tuple[KeyInfo, dict[str, Any]]:
        wanted = label_or_address.lower()
        by_address = _ADDRESS.fullmatch(label_or_address) is not None
        if self.directory.is_dir():
            for path in self.directory.glob("*.json"):
                info, keyfile = self._load(path)
                if (info.address.lower() if by_address else info.label.lower()) == wanted:
                    return info, keyfile
        raise KeyNotFoundError(label_or_address)

    def _load(self, path: Path) -> tuple[KeyInfo, dict[str, Any]]:
        try:
            keyfile = json.loads(path.read_text(encoding="utf-8"))
            meta = keyfile[_META]
            info = KeyInfo(
                label=str(meta["label"]),
                address=to_checksum_address("0x" + str(keyfile["address"]).removeprefix("0x")),
                party=str(meta["party"]),
                unit=None if meta.get("unit") is None else str(meta["unit"]),
                created_at=datetime.fromisoformat(meta["created_at"]),
                path=path,
            )
            if keyfile["version"] != 3 or "crypto" not in keyfile:
                raise ValueError("not a version 3 keystore")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyfileCorruptError(path, str(exc)) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyfileCorruptError(path, f"{type(exc).__name__}: {exc}") from None
        return info, keyfile

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = self.directory.stat().st_mode & 0o777
        if mode != 0o700:
            log.warning("keystore %s had mode %o; setting 0700", self.directory, mode)
            self.directory.chmod(0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _reveal(secret: SecretStr | str) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else secret


def _check_name(field: str, value: str, pattern: re.Pattern[str]) -> None:
    if not pattern.fullmatch(value) or value != value.strip():
        rule = (
            "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            if pattern is _LABEL
            else "1-64 printable characters without surrounding spaces"
        )
        raise WalletInputError(f"invalid {field} {value!r}: use {rule}", field=field)


def _write_atomically(path: Path, content: dict[str, Any]) -> None:
    """Write ``path`` (mode 0600) so that it is either absent or complete, even after a crash."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
