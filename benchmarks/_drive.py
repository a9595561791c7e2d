"""The load generator: a minimal asyncio HTTP/1.1 client (one request in flight per keep-alive
connection, requests encoded ahead), so the client's CPU is not taken from the gateway it
measures on a 2-core machine (httpx costs ~1 ms of CPU per request)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from typing import Any


def _request(port: int, key: str, path: str, payload: bytes, idem: str | None) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
        + (f"Idempotency-Key: {idem}\r\n" if idem else "")
        + f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _connections(
    port: int, requests: list[bytes], clients: int, expect: int
) -> tuple[list[tuple[float, float, bytes]], float]:
    """Send every request over ``clients`` connections; ([(t0, ms, answer)], elapsed)."""
    answers: list[tuple[float, float, bytes]] = []
    cursor: Iterator[int] = iter(range(len(requests)))
    reconnects: list[int] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in cursor:
                for attempt in range(5):
                    t0 = time.time()
                    try:
                        writer.write(requests[i])
                        status, answer = await _read_response(reader)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError) as exc:
                        # the server closed an idle keep-alive connection: reconnect, resend
                        # (same Idempotency-Key, so a resent write is never a second request)
                        writer.close()
                        reconnects.append(i)
                        if attempt == 4:
                            raise RuntimeError(f"request {i}: connection failed") from exc
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                assert status == expect, answer[:500]
                answers.append((t0, (time.time() - t0) * 1000, answer))
        finally:
            writer.close()

    t_start = time.time()
    await asyncio.gather(*(connection() for _ in range(clients)))
    if reconnects:
        print(f"{len(reconnects)} requests were re-sent on a new connection", file=sys.stderr)
    return answers, time.time() - t_start


async def drive(
    port: int, key: str, bodies: list[dict[str, Any]], clients: int
) -> tuple[dict[str, float], list[float], float]:
    """POST each body to /v1/shipments; (request id → time sent, request→202 ms, elapsed)."""
    requests = [
        _request(port, key, "/v1/shipments", json.dumps(b).encode(), f"b{b['document_hash']}")
        for b in bodies
    ]
    answers, elapsed = await _connections(port, requests, clients, 202)
    sent_at = {json.loads(answer)["id"]: t0 for t0, _, answer in answers}
    return sent_at, [ms for _, ms, _ in answers], elapsed


async def drive_batch(
    port: int, key: str, bodies: list[dict[str, Any]], size: int, clients: int
) -> dict[str, float]:
    """POST the bodies to /v1/batch, ``size`` shipments a request; request id → time sent."""
    requests = []
    for start in range(0, len(bodies), size):
        items = [
            {"kind": "shipments", "idempotency_key": f"b{b['document_hash']}", "body": b}
            for b in bodies[start : start + size]
        ]
        requests.append(_request(port, key, "/v1/batch", json.dumps(
            {"operations": items}).encode(), None))  # fmt: skip
    answers, _ = await _connections(port, requests, clients, 200)
    sent_at: dict[str, float] = {}
    for t0, _, answer in answers:
        for item in json.loads(answer)["results"]:
            assert item["status"] == 202, item
            sent_at[item["id"]] = t0
    return sent_at
