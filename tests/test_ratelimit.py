"""``tracenet.kit.ratelimit``: token buckets per client, refilled with time, Retry-After in whole
seconds, IPv6 by /64, ``X-Forwarded-For`` believed from trusted proxies only, memory bounded."""

from __future__ import annotations

from typing import Any

import pytest

from tracenet.kit.ratelimit import Limit, TokenBuckets, client_address, client_of, networks


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_the_rate_and_is_told_when_to_come_back() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(per_minute=6, burst=3), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 10.0  # one token every 10 s
    assert buckets.take("b") == 0.0  # another client, its own bucket
    clock.now += 4
    assert buckets.take("a") == pytest.approx(6.0)  # a refusal takes nothing
    clock.now += 6
    assert buckets.take("a") == 0.0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(4)] == [0.0, 0.0, 0.0, 10.0]  # never above burst


def test_no_limit_at_zero_and_memory_bounded() -> None:
    off = TokenBuckets(Limit(per_minute=0, burst=1))
    assert all(off.take("a") == 0.0 for _ in range(1000))
    clock = Clock()
    few = TokenBuckets(Limit(per_minute=1, burst=1), clock=clock, max_clients=2)
    for client in ("a", "b", "c"):
        assert few.take(client) == 0.0
    assert len(few._buckets) == 2  # "a", not seen for longest, dropped (a full bucket again)
    assert few.take("a") == 0.0


def _scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() -> None:
    trusted = networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_of(_scope("192.0.2.1", "198.51.100.1"), trusted) == "192.0.2.1"
    assert client_of(_scope("127.0.0.1", "198.51.100.1"), trusted) == "198.51.100.1"
    # a forged entry on the left is not believed: the rightmost untrusted hop is the client
    assert client_of(_scope("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.1.1.1"), trusted) == (
        "198.51.100.1"
    )
    assert client_of(_scope("127.0.0.1"), trusted) == "127.0.0.1"
    assert client_address(_scope("2001:db8::1"), trusted) == "2001:db8::1"
    assert (
        client_of(_scope("2001:db8::1")) == client_of(_scope("2001:db8::ffff")) == ("2001:db8::/64")
    )
    assert client_of(_scope("::ffff:192.0.2.7")) == "192.0.2.7"
    assert client_of({"type": "http", "headers": []}) == "unknown"
