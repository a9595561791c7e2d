"""Settings of ``tracenet import``, read from ``TRACENET_IMPORT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ImportSettings"]


class ImportSettings(BaseSettings):
    """How an import reaches the party's gateway; each field reads ``TRACENET_IMPORT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_IMPORT_", extra="forbid")

    #: The party's gateway.
    gateway_url: str = "http://127.0.0.1:8600"
    #: A write-scope API key of the gateway (prefer ``api_key_file``; never on the command line).
    api_key: SecretStr | None = None
    #: A file holding the API key (0600), wins over ``api_key``.
    api_key_file: Path | None = None
    #: Largest batch body sent, in bytes: under the gateway's 64 KiB default limit.
    batch_bytes: int = Field(default=48 * 1024, ge=1024)
    #: Most operations in one batch (the gateway takes at most 500).
    batch_items: int = Field(default=250, ge=1, le=500)
    #: Seconds one HTTP call may take.
    timeout: float = Field(default=60.0, gt=0)
    #: Seconds between polls of accepted requests until they are confirmed or rejected.
    poll_interval: float = Field(default=0.25, gt=0)
    #: Seconds the import waits for its accepted requests to end before it gives up (they go
    #: on at the gateway; re-running the file picks them up).
    wait_timeout: float = Field(default=900.0, gt=0)
