"""Settings of a gateway, read from ``TRACENET_GATEWAY_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracenet.kit.ratelimit import LOOPBACK, Limit

__all__ = ["GatewaySettings"]


class GatewaySettings(BaseSettings):
    """How a gateway runs; each field reads ``TRACENET_GATEWAY_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_GATEWAY_", extra="forbid")

    #: JSON-RPC endpoint of the ledger node (the embedded anvil's default).
    rpc_url: str = "http://127.0.0.1:8545"
    #: The deployment record (``contracts.Deployment`` JSON, with an optional ``registry``).
    deployment: Path = Path(".tracenet/deployment.json")
    #: SQLAlchemy URL of the request store; default SQLite (WAL) under ./.tracenet/gateway.
    #: PostgreSQL: ``postgresql+psycopg://user@host/db``.
    database_url: str = "sqlite:///.tracenet/gateway/gateway.db"
    #: SQLite ``synchronous`` pragma: FULL fsyncs every commit (durable across power loss);
    #: NORMAL survives a process crash but may lose the last commits on power loss.
    sqlite_synchronous: str = Field(default="FULL", pattern="^(FULL|NORMAL|EXTRA)$")
    #: Key store directory of the signing keys (``tracenet wallet``).
    wallet_dir: Path = Path(".tracenet/wallet")
    #: Labels of the keys to sign with; empty: every key in ``wallet_dir``.
    signers: list[str] = Field(default_factory=list)
    #: Name of the environment variable holding the key store passphrase.
    passphrase_env: str = "TRACENET_WALLET_PASSPHRASE"
    #: File holding the passphrase (wins over ``passphrase_env``).
    passphrase_file: Path | None = None
    #: The passphrase itself (tests only; prefer a file or the environment variable).
    passphrase: SecretStr | None = None
    #: Interface and port ``tracenet gateway serve`` listens on.
    host: str = "127.0.0.1"
    port: int = Field(default=8600, ge=1, le=65535)
    #: Blocks a transaction needs on top of it before its request is ``confirmed`` (1: mined).
    confirmations: int = Field(default=1, ge=1)
    #: Seconds between polls of the chain head when no new request wakes the pipeline.
    poll_interval: float = Field(default=0.2, gt=0)
    #: Seconds a submitted transaction may stay unseen before it is looked up and re-sent.
    resend_after: float = Field(default=3.0, gt=0)
    #: Seconds between a standby replica's tries to take the signing lease (PostgreSQL store,
    #: several replicas): failover takes about this long once the signing replica is gone.
    takeover_interval: float = Field(default=1.0, gt=0)
    #: Seconds chain views used by validation (units, classes, certificates) stay cached.
    view_cache_seconds: float = Field(default=2.0, ge=0)
    #: Gas limit of each transaction (gas is free on the ledger; this bounds work per write).
    tx_gas: int = Field(default=1_500_000, ge=21_000)
    #: Largest request body accepted, in bytes (413 above).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: Most credit lines in one write (calldata and gas grow with them).
    max_lines: int = Field(default=64, ge=1)
    #: Most requests signed and sent in one round of the pipeline.
    batch_size: int = Field(default=512, ge=1)
    #: Helper processes that sign and decode events (forked at start, inheriting the unlocked
    #: keys; 0: sign on a thread, decode inline).
    sign_processes: int = Field(default=2, ge=0, le=8)
    #: FastAPI's native OpenTelemetry (traces, metrics); off: it costs CPU on every request.
    telemetry: bool = False
    #: Log level of the JSON-lines log on standard error.
    log_level: str = "INFO"
    #: Requests a minute one client (IP address; an IPv6 /64) may make to the routes that need
    #: no key but /v1/health (the docs: /docs, /openapi.json); 0: no limit. Over: 429.
    public_rate_per_minute: float = Field(default=120.0, ge=0)
    #: Such requests a client may make at once before the rate applies.
    public_burst: int = Field(default=60, ge=1)
    #: Peers whose ``X-Forwarded-For`` names the client (a reverse proxy): JSON list of
    #: addresses or networks; loopback by default.
    trusted_proxies: list[str] = Field(default_factory=lambda: list(LOOPBACK))

    def public_limit(self) -> Limit:
        return Limit(self.public_rate_per_minute, self.public_burst)
