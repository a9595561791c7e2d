"""Fixtures of the gateway's fast tier: eth-tester chain, SQLite store, in-process app.

One bootstrapped world (tests/factories.py) per session, reverted after every test; each test
gets a fresh SQLite store in its tmp dir and an app whose signers are the world's cast.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from tests._support import wait_until as wait_until
from tests.factories import World
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

with warnings.catch_warnings():
    # starlette 1.10 would rather drive its TestClient with httpx2; httpx 0.28 works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REGISTRY = {
    "parties": {"admin": 1, "certifier": 2, "auditor": 3, "recycler": 4, "resin": 5, "brand": 6,
                "outsider": 7},
    "units": {"recycling-plant": 1, "resin-a": 2, "resin-b": 3, "brand-dc": 4, "outsider-yard": 5},
    "classes": {"rpet-flake": 1, "rpet-resin": 2, "cullet": 3, "bio-oil": 4, "container": 5},
    "product_groups": {"pet-flakes": 1, "pet-resin": 2, "glass": 3, "bio-oil": 4},
    "schemes": {"iscc-plus": 1, "iscc-eu": 2},
    "processes": {"flake-to-resin": 1, "cullet-to-container": 2},
    "certificates": {"recycler-cert": 1, "resin-cert": 2, "recycler-eu-cert": 3},
    "boundaries": {"resin-sites": 1},
}  # fmt: skip


class Harness:
    """A running app plus helpers: keys, writes, waiting for final states."""

    def __init__(self, client: TestClient, store: Store, world: World) -> None:
        self.client = client
        self.store = store
        self.world = world

    def key(self, party: int, scope: str = "write") -> str:
        secret = f"tn_test_{party}_{scope}_{time.monotonic_ns()}"
        self.store.write_sync(_add_key, ApiKey(label="t", party_id=party, scope=scope,
                                               key_hash=hash_key(secret)))  # fmt: skip
        return secret

    def post(self, path: str, body: Any, key: str | None, **headers: str) -> Any:
        h = dict(headers)
        if key is not None:
            h["Authorization"] = f"Bearer {key}"
        return self.client.post(path, json=body, headers=h)

    def wait(self, request_id: str, key: str, timeout: float = 20.0) -> dict[str, Any]:
        return wait_until(
            lambda: _final(self.client.get(f"/v1/requests/{request_id}",
                                           headers={"Authorization": f"Bearer {key}"}).json()),
            timeout=timeout, what=f"request {request_id} to end",
        )  # fmt: skip


def _final(body: dict[str, Any]) -> dict[str, Any] | None:
    return body if body.get("status") in ("confirmed", "rejected") else None


def _add_key(session: Any, row: ApiKey) -> None:
    session.add(row)


def write_deployment(path: Path, world: World, registry: dict[str, Any] | None = None) -> None:
    record = json.loads(world.handle.deployment.to_json())
    record["registry"] = REGISTRY if registry is None else registry
    path.write_text(json.dumps(record))


@contextlib.contextmanager
def open_harness(world: World, signers: list[LocalSigner], tmp_path: Path) -> Iterator[Harness]:
    """The app on ``world``'s chain with a fresh SQLite store under ``tmp_path``."""
    write_deployment(tmp_path / "deployment.json", world)
    settings = GatewaySettings(
        deployment=tmp_path / "deployment.json",
        database_url=f"sqlite:///{tmp_path}/gw.db",
        poll_interval=0.02,
        resend_after=0.5,
        tx_gas=f.GAS_LIMIT,
    )
    store = Store(make_engine(settings.database_url))
    app = create_app(settings, chain=Web3Chain(world.w3), signers=signers, store=store)
    with TestClient(app) as client:
        yield Harness(client, store, world)
    store.close()


@contextlib.contextmanager
def world_snapshot(world: World) -> Iterator[World]:
    """``world`` as it is now, restored (chain and model) on exit."""
    tester = world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    saved = copy.deepcopy(world.model)
    try:
        yield world
    finally:
        tester.revert_to_snapshot(snapshot)
        world.model = saved


@pytest.fixture
def harness(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> Iterator[Harness]:
    with open_harness(world, world_keys, tmp_path) as h:
        yield h
