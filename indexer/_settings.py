"""Settings of the indexer, read from ``TRACENET_INDEXER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["IndexerSettings"]


class IndexerSettings(BaseSettings):
    """How ``tracenet indexer`` runs; each field reads ``TRACENET_INDEXER_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_INDEXER_", extra="forbid")

    #: SQLAlchemy URL of the mirror; default a SQLite file under ``.tracenet/``. PostgreSQL:
    #: ``postgresql+psycopg://user@host:5432/db``.
    database_url: str = "sqlite:///.tracenet/indexer.sqlite3"
    #: JSON-RPC endpoint of the node the mirror follows (default: the embedded anvil).
    rpc_url: str = "http://127.0.0.1:8545"
    #: The deployment record (``contracts.Deployment`` JSON) naming chain, start block, addresses.
    deployment: Path = Path(".tracenet/deployment.json")
    #: Largest eth_getLogs block range; Besu refuses more than 1 000 by default.
    max_block_range: int = Field(default=1_000, ge=1)
    #: Blocks below the head kept with their hashes to detect and undo reorgs.
    reorg_window: int = Field(default=128, ge=1)
    #: Seconds between head polls once caught up (a fraction of the block interval).
    poll_interval: float = Field(default=0.2, gt=0)
    #: Seconds one JSON-RPC request may take; a timed-out eth_getLogs range is halved.
    rpc_timeout: float = Field(default=30.0, gt=0)
    #: Interface ``tracenet indexer serve`` listens on; loopback by default.
    api_host: str = "127.0.0.1"
    #: Port of the read API (the gateway's is 8600, the console's 8800).
    api_port: int = Field(default=8700, ge=1, le=65535)
    #: ``indexer check`` fails when the mirror's checkpoint is more blocks behind the head.
    max_lag_blocks: int = Field(default=64, ge=0)
    #: ``indexer check`` fails when the oldest block not yet mirrored was mined longer ago
    #: (seconds): the follower is stuck or not running.
    max_lag_seconds: float = Field(default=300.0, gt=0)
