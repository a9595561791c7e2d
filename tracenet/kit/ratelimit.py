"""A per-client rate limit for the routes anyone may call: the indexer's verification routes and
declaration check, the gateway's health and docs, the console's buyer pages.

Each ``Rule`` names the paths (a regular expression) and methods it covers and holds one token
bucket per client: a client may send ``burst`` requests at once, then ``per_minute`` a minute
(tokens come back continuously). A request over the limit is answered by the service's own
``refuse`` (its usual error body, status 429) with a ``Retry-After`` header in whole seconds,
before anything reads its body. The first rule whose path and method match applies; a request
matching none passes untouched. ``per_minute = 0`` turns a rule off.

The client is the peer's IP address (an IPv6 address counts as its /64: one host usually holds
the whole network). Behind a reverse proxy, or for the console asking the indexer on a buyer's
behalf, the peer is the proxy: a peer among ``trusted_proxies`` has its ``X-Forwarded-For``
read, from the right, up to the first address that is not itself trusted. The buckets of the
clients not seen for longest are dropped past ``max_clients`` (memory stays bounded; a dropped
bucket is a full one). Asyncio-only: the middleware runs on the event loop, no lock needed.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "LOOPBACK",
    "Limit",
    "RateLimitMiddleware",
    "Refusal",
    "Rule",
    "TokenBuckets",
    "client_address",
    "client_of",
    "limit_routes",
    "networks",
]

#: The default trusted proxies: a proxy or console on the same host.
LOOPBACK = ("127.0.0.1", "::1")

Clock = Callable[[], float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, then ``per_minute`` a minute; ``per_minute = 0``: no limit."""

    per_minute: float
    burst: int

    @property
    def on(self) -> bool:
        return self.per_minute > 0


class TokenBuckets:
    """One token bucket per client key, at most ``max_clients`` of them."""

    def __init__(
        self, limit: Limit, *, clock: Clock = time.monotonic, max_clients: int = 50_000
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max = max_clients
        self._rate = limit.per_minute / 60.0  # tokens per second
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens of ``client``'s bucket: 0.0 when it had them, else the seconds
        until it will (nothing taken then)."""
        if not self.limit.on:
            return 0.0
        now = self._clock()
        tokens, stamp = self._buckets.pop(client, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - stamp) * self._rate)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / self._rate
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True)
class Rule:
    """Paths matching ``path`` (``re.fullmatch``) with one of ``methods``, limited together."""

    name: str
    path: re.Pattern[str]
    methods: frozenset[str]
    buckets: TokenBuckets

    @classmethod
    def of(
        cls,
        name: str,
        path: str,
        limit: Limit,
        methods: Iterable[str] = ("GET", "HEAD"),
        *,
        clock: Clock = time.monotonic,
    ) -> Rule:
        return cls(name, re.compile(path), frozenset(methods), TokenBuckets(limit, clock=clock))

    def covers(self, method: str, path: str) -> bool:
        return method in self.methods and self.path.fullmatch(path) is not None


@dataclass(frozen=True)
class Refusal:
    """What the service's ``refuse`` is told: the rule, the client and when to come back."""

    rule: str
    client: str
    retry_after: int  # whole seconds, at least 1
    limit: Limit = field(repr=False)

    @property
    def message(self) -> str:
        return (
            f"too many requests from {self.client}: at most {self.limit.burst} at once and "
            f"{self.limit.per_minute:g} a minute here; retry in {self.retry_after} s"
        )

    @property
    def args(self) -> dict[str, object]:
        """The error body's ``args``."""
        return {
            "retryAfterSeconds": self.retry_after,
            "perMinute": self.limit.per_minute,
            "burst": self.limit.burst,
        }


Refuse = Callable[[Scope, Refusal], Response]


def networks(entries: Iterable[str]) -> list[Network]:
    """Addresses or networks (``10.0.0.0/8``), parsed."""
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


def _trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in n for n in networks)


def _key(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a test client's name, a Unix socket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_of(scope: Scope, trusted: Sequence[Network] = ()) -> str:
    """The key a request is limited by: ``client_address``, an IPv6 address as its /64."""
    return _key(client_address(scope, trusted))


def client_address(scope: Scope, trusted: Sequence[Network] = ()) -> str:
    """The request's client: its peer's address, or the address a trusted proxy forwarded it
    for (the rightmost ``X-Forwarded-For`` entry that is not itself trusted)."""
    peer = scope.get("client")
    host = str(peer[0]) if peer else "unknown"
    if trusted and _trusted(host, trusted):
        forwarded = [
            part.strip()
            for name, value in scope.get("headers", ())
            if name == b"x-forwarded-for"
            for part in value.decode("latin-1").split(",")
        ]
        for hop in reversed([h for h in forwarded if h]):
            host = hop
            if not _trusted(hop, trusted):
                break
    return host


class RateLimitMiddleware:
    """ASGI middleware: the first of ``rules`` covering a request takes a token of its client's
    bucket; with none left the request is answered by ``refuse`` (plus ``Retry-After``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: Sequence[Rule],
        refuse: Refuse,
        trusted_proxies: Iterable[str] = LOOPBACK,
    ) -> None:
        self.app = app
        self.rules = [r for r in rules if r.buckets.limit.on]
        self.refuse = refuse
        self.trusted = networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.rules:
            method, path = scope["method"], scope["path"]
            rule = next((r for r in self.rules if r.covers(method, path)), None)
            if rule is not None:
                client = client_of(scope, self.trusted)
                wait = rule.buckets.take(client)
                if wait > 0:
                    refusal = Refusal(
                        rule.name, client, max(1, math.ceil(wait)), rule.buckets.limit
                    )
                    response = self.refuse(scope, refusal)
                    response.headers["Retry-After"] = str(refusal.retry_after)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def limit_routes(
    app: Any,
    paths: Iterable[tuple[str, Iterable[str], str]],
    limits: Mapping[str, Limit],
    refuse: Refuse,
    trusted_proxies: Iterable[str] = LOOPBACK,
) -> None:
    """Limit an app's routes anyone may call: ``paths`` are ``(rule, methods, path pattern)``,
    the routes of one rule share each client's bucket of ``limits[rule]``."""
    buckets = {name: TokenBuckets(limit) for name, limit in limits.items()}
    rules = [
        Rule(name, re.compile(path), frozenset(methods), buckets[name])
        for name, methods, path in paths
    ]
    app.add_middleware(
        RateLimitMiddleware, rules=rules, refuse=refuse, trusted_proxies=trusted_proxies
    )
