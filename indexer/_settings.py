"""Settings of the indexer, read from ``TRACENET_INDEXER_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracenet.indexer.verifier._pdf_worker import PdfLimits
from tracenet.kit.ratelimit import LOOPBACK, Limit

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

    # -- the public views (issue 25) --
    #: What each party discloses on the public verdicts and declarations, JSON: party id,
    #: registry key or on-chain name → a list of ``name address certificates quantities``, or
    #: ``"all"``. Default: nothing, except the buyer's direct supplier (a shipment's sender, a
    #: claim's claimant), named with its address and certificates unless it is listed here.
    disclosure: dict[str, list[str] | str] = Field(default_factory=dict)

    # -- the public routes (no key): a per-client rate limit (429 RateLimited, Retry-After) --
    #: Requests a minute one client (an IP address; an IPv6 /64) may make to the public reads
    #: (verification verdicts, a shipment's declaration JSON, /docs, /openapi.json); 0: no
    #: limit. A console page of a buyer asks two of them.
    public_rate_per_minute: float = Field(default=120.0, ge=0)
    #: Public reads a client may make at once before the rate applies.
    public_burst: int = Field(default=60, ge=1)
    #: Uploads a minute one client may send to ``POST /v1/declarations/check``; 0: no limit.
    document_rate_per_minute: float = Field(default=12.0, ge=0)
    #: Uploads a client may send at once before that rate applies.
    document_burst: int = Field(default=6, ge=1)
    #: Peers whose ``X-Forwarded-For`` names the client (a reverse proxy; the console, which
    #: forwards its buyers' addresses): JSON list of addresses or networks; loopback by default.
    trusted_proxies: list[str] = Field(default_factory=lambda: list(LOOPBACK))

    # -- reading uploaded PDFs (POST /v1/declarations/check): 422 DocumentTooComplex past one --
    #: Worker processes reading uploaded PDFs at once (each one CPU at most).
    document_workers: int = Field(default=2, ge=1)
    #: Uploads waiting for a worker; past them 503 DocumentCheckBusy (Retry-After).
    document_queue: int = Field(default=16, ge=0)
    #: CPU seconds reading one PDF may take (an SD takes some 10 ms).
    document_cpu_seconds: float = Field(default=2.0, gt=0)
    #: Pages of an uploaded PDF (an SD has one or two).
    document_max_pages: int = Field(default=8, ge=1)
    #: Objects of an uploaded PDF (an SD has about ten).
    document_max_objects: int = Field(default=2_000, ge=1)
    #: Bytes one stream may inflate to.
    document_max_stream_bytes: int = Field(default=1_048_576, ge=1_024)
    #: Bytes the pages' content may inflate to, all together, as drawn (an SD: some 6 kB a page).
    document_max_content_bytes: int = Field(default=524_288, ge=1_024)
    #: Address space of a worker process, in MiB (pypdf and its data).
    document_memory_mb: int = Field(default=512, ge=128)

    def public_limit(self) -> Limit:
        return Limit(self.public_rate_per_minute, self.public_burst)

    def document_limit(self) -> Limit:
        return Limit(self.document_rate_per_minute, self.document_burst)

    def pdf_limits(self) -> PdfLimits:
        """The budget of reading one uploaded PDF."""
        return PdfLimits(
            max_pages=self.document_max_pages,
            max_objects=self.document_max_objects,
            max_stream_bytes=self.document_max_stream_bytes,
            max_content_bytes=self.document_max_content_bytes,
            cpu_seconds=self.document_cpu_seconds,
            memory_bytes=self.document_memory_mb * 1_048_576,
        )
