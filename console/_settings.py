"""Settings of the console, read from ``TRACENET_CONSOLE_*`` environment variables."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracenet.kit.ratelimit import LOOPBACK, Limit

__all__ = ["ConsoleSettings"]


class ConsoleSettings(BaseSettings):
    """How ``tracenet console serve`` runs; each field reads ``TRACENET_CONSOLE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_CONSOLE_", extra="forbid")

    #: Interface to listen on; loopback by default.
    host: str = "127.0.0.1"
    #: Port of the console (gateway 8600, indexer 8700, console 8800).
    port: int = Field(default=8800, ge=1, le=65535)
    #: Base URL of the indexer's read API.
    indexer_url: str = "http://127.0.0.1:8700"
    #: JSON object: party key → base URL of that party's gateway, e.g.
    #: ``{"recycler": "http://127.0.0.1:8600"}``. The sign-in page lists these parties.
    gateways: dict[str, str] = Field(default_factory=dict)
    #: Seconds one call to a gateway or the indexer may take.
    timeout: float = Field(default=20.0, gt=0)
    #: Seconds the writes a gateway offers (its OpenAPI: routes and the roles of each) are
    #: kept before it is read again.
    openapi_seconds: float = Field(default=300.0, ge=0)
    #: Minutes a signed-in session lives without use.
    session_minutes: int = Field(default=480, ge=1)
    #: Mark the session cookie ``Secure`` (serve over HTTPS); off for a loopback demo.
    secure_cookies: bool = False
    #: The console's origin as browsers see it (``https://console.example.org``), which every
    #: form post's ``Origin`` must equal; by default the scheme and ``Host`` each request came
    #: with (set it behind a proxy that changes either).
    origin: str | None = None

    @field_validator("origin")
    @classmethod
    def _an_origin(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 -- raises ValueError on a port that is not one
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
            raise ValueError("write an origin: http(s)://host[:port], without a path")
        return value.strip().rstrip("/")

    #: Requests a minute one client (IP address; an IPv6 /64) may make to the pages anyone may
    #: open (home, search, /verify/…, /chain/…, sign-in); 0: no limit. Over it: 429.
    public_rate_per_minute: float = Field(default=60.0, ge=0)
    #: Such requests a client may make at once before the rate applies.
    public_burst: int = Field(default=30, ge=1)
    #: SD uploads a minute one client may send to ``POST /verify/document``; 0: no limit.
    document_rate_per_minute: float = Field(default=12.0, ge=0)
    #: SD uploads a client may send at once before that rate applies.
    document_burst: int = Field(default=6, ge=1)
    #: Peers whose ``X-Forwarded-For`` names the client (a reverse proxy): JSON list of
    #: addresses or networks; loopback by default. The console forwards its client's address
    #: to the indexer's public routes, which limit each buyer, not the console.
    trusted_proxies: list[str] = Field(default_factory=lambda: list(LOOPBACK))

    def public_limit(self) -> Limit:
        return Limit(self.public_rate_per_minute, self.public_burst)

    def document_limit(self) -> Limit:
        return Limit(self.document_rate_per_minute, self.document_burst)
