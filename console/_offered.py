"""The writes a gateway offers, as its OpenAPI publishes them: the console's list of writes and
its role map, never restated here.

Every write operation of the gateway carries ``x-tracenet-roles`` (the roles of which any one
lets a party make it; empty: any party) and each ledger write of its catalog
``x-tracenet-kind``. The console reads them from ``GET /openapi.json`` of the gateway a session
talks to (the console imports no gateway code), cached per gateway for ``ttl_s`` seconds; a form
is offered when the gateway offers its route and the party holds one of its roles.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from tracenet.console._clients import ApiError, GatewayClient
from tracenet.contracts import Role

__all__ = ["Offered", "OfferedCache"]

_ROLES = "x-tracenet-roles"
_KIND = "x-tracenet-kind"


@dataclass(frozen=True)
class Offered:
    """``roles``: each write's POST path (``/v1/admin/parties/{party}/roles``) → the mask of
    the roles of which any one allows it (0: any party); ``kinds``: the ledger writes' paths →
    their kind, in the gateway's order."""

    roles: dict[str, int]
    kinds: dict[str, str]

    @classmethod
    def from_openapi(cls, doc: dict[str, Any]) -> Offered:
        roles: dict[str, int] = {}
        kinds: dict[str, str] = {}
        for path, operations in (doc.get("paths") or {}).items():
            post = operations.get("post") if isinstance(operations, dict) else None
            if not isinstance(post, dict) or not isinstance(post.get(_ROLES), list):
                continue
            names = [n for n in post[_ROLES] if isinstance(n, str)]
            known = [Role[n] for n in names if n in Role.__members__]
            if names and not known:
                continue  # only roles this console does not know: not offered, never "anyone"
            roles[path] = sum((int(r) for r in known), 0)
            if isinstance(post.get(_KIND), str):
                kinds[path] = post[_KIND]
        return cls(roles, kinds)


class OfferedCache:
    """The ``Offered`` of each gateway (by base URL), read at most every ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._by_url: dict[str, tuple[float, Offered]] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # one read per gateway at a time

    def put(self, base_url: str, offered: Offered) -> None:
        self._by_url[base_url.rstrip("/")] = (time.monotonic(), offered)

    async def of(self, gateway: GatewayClient) -> Offered:
        """The writes ``gateway`` offers; ``ApiError`` when its OpenAPI cannot be read."""
        url = str(gateway.http.base_url).rstrip("/")
        async with self._locks.setdefault(url, asyncio.Lock()):
            hit = self._by_url.get(url)
            if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
            doc = await gateway.get("/openapi.json")
            if not isinstance(doc, dict):
                what = "the gateway's /openapi.json is not an OpenAPI document"
                raise ApiError(502, "TN-CO-502-01", "OpenApiUnreadable", what)
            offered = Offered.from_openapi(doc)
            self.put(url, offered)
            return offered
