"""API keys: high-entropy random secrets, stored only as their SHA-256, compared in constant time.

A key looks like ``tn_<43 url-safe characters>`` (256 bits). It is shown once, when created;
the store keeps its hash, the party it is bound to and its scope (``write`` or ``read``).
"""

from __future__ import annotations

import hmac
import secrets
import time

from tracenet.gateway.errors import AuthError
from tracenet.gateway.operations._principal import Principal
from tracenet.gateway.pipeline._models import ApiKey
from tracenet.gateway.pipeline._store import Store
from tracenet.kit import hash_key

__all__ = ["KeyCache", "Principal", "hash_key", "new_key", "presented_key"]

_PREFIX = "tn_"


def new_key() -> str:
    return _PREFIX + secrets.token_urlsafe(32)


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The API key a request presents: ``Authorization: Bearer <key>``, else ``X-API-Key``."""
    if authorization is None:
        return x_api_key
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


class KeyCache:
    """Looks keys up by hash; a found key is trusted for ``ttl`` seconds (revocation delay)."""

    def __init__(self, store: Store, ttl: float = 1.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def authenticate(self, presented: str | None) -> Principal:
        if not presented:
            raise AuthError("missing API key", error="ApiKeyMissing")
        digest = hash_key(presented)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            row = hit[1]
        else:
            row = self.store.find_key(digest)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + self.ttl, row)
        if (
            row is None
            or row.id is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.key_hash, digest)
        ):
            raise AuthError("unknown or revoked API key", error="ApiKeyInvalid")
        return Principal(row.id, row.party_id, row.scope)
