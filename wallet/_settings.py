"""Settings of the key store, read from ``TRACENET_WALLET_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_PASSPHRASE_ENV", "STANDARD_SCRYPT_N", "WalletSettings"]

#: eth-account's standard scrypt work factor (n = 2**18, r = 8, p = 1: about 256 MiB, ~1 s).
STANDARD_SCRYPT_N: Final = 2**18
#: The environment variable a passphrase is read from when no file is given.
DEFAULT_PASSPHRASE_ENV: Final = "TRACENET_WALLET_PASSPHRASE"


class WalletSettings(BaseSettings):
    """Where keys live and how they are encrypted; each field reads ``TRACENET_WALLET_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_WALLET_", extra="forbid")

    #: Keystore directory (mode 0700), one file per key (mode 0600); relative to the working dir.
    dir: Path = Path(".tracenet/wallet")
    #: Name of the environment variable holding the passphrase (read only when no file is given).
    passphrase_env: str = Field(default=DEFAULT_PASSPHRASE_ENV, min_length=1)
    #: scrypt work factor for newly encrypted keys: a power of two; lower it only in tests.
    scrypt_n: int = Field(default=STANDARD_SCRYPT_N, ge=2)

    @field_validator("scrypt_n")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError("scrypt_n must be a power of two")
        return value
