"""The gateway app served by a real uvicorn in a thread, on eth-tester: for streaming clients.

The ASGI test client buffers a response before handing it over; a server-sent-events client
has to read a real socket as the server writes it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests import factories as f
from tests._support import free_port
from tests.factories import World
from tests.gateway.conftest import write_deployment
from tracenet.gateway import (
    ApiKey,
    GatewaySettings,
    Store,
    Web3Chain,
    create_app,
    hash_key,
    make_engine,
)
from tracenet.wallet import LocalSigner


class Live:
    def __init__(self, base: str, store: Store, world: World) -> None:
        self.base = base
        self.store = store
        self.world = world
        self.http = httpx.Client(base_url=base, timeout=20.0, trust_env=False)

    def key(self, party: int, scope: str = "write") -> str:
        secret = f"tn_live_{party}_{scope}_{time.monotonic_ns()}"
        row = ApiKey(label="t", party_id=party, scope=scope, key_hash=hash_key(secret))
        self.store.write_sync(lambda s, r: s.add(r), row)
        return secret

    def post(self, path: str, body: Any, key: str) -> httpx.Response:
        return self.http.post(path, json=body, headers={"Authorization": f"Bearer {key}"})

    @contextlib.contextmanager
    def stream(self, path: str, key: str, **params: Any) -> Iterator[httpx.Response]:
        headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
        with self.http.stream("GET", path, headers=headers, params=params) as response:
            yield response


def read_events(
    response: httpx.Response, *, until: Any = None, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """SSE events as ``{"id", "event", "data"}`` until the stream ends or ``until(events)``."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream still open after {timeout}s: {events}")
        if line == "":
            if current:
                events.append(current)
                current = {}
                if until is not None and until(events):
                    return events
            continue
        name, _, value = line.partition(": ")
        if name == "data":
            current["data"] = json.loads(value)
        elif name in ("id", "event"):
            current[name] = value
    return events


@contextlib.contextmanager
def serve(
    world: World, signers: list[LocalSigner], tmp_path: Path, database_url: str | None = None
) -> Iterator[Live]:
    """The app on ``world``'s chain, its store at ``database_url`` (default: SQLite in tmp)."""
    write_deployment(tmp_path / "deployment.json", world)
    settings = GatewaySettings(
        deployment=tmp_path / "deployment.json",
        database_url=database_url or f"sqlite:///{tmp_path}/gw.db",
        poll_interval=0.02,
        resend_after=0.5,
        tx_gas=f.GAS_LIMIT,
    )
    store = Store(make_engine(settings.database_url))
    app = create_app(settings, chain=Web3Chain(world.w3), signers=signers, store=store)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live gateway did not start")
        time.sleep(0.01)
    live = Live(f"http://127.0.0.1:{port}", store, world)
    try:
        yield live
    finally:
        live.http.close()
        server.should_exit = True
        thread.join(timeout=20)
        store.close()
    assert not thread.is_alive(), "the live gateway did not stop"
