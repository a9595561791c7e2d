"""A follower stopped by a reorg below its window says so (issue 26): the stop is recorded on
the cursor, every API answer carries ``X-Tracenet-Mirror: stopped; …``, ``/v1/status`` says why,
the routes answering the chain's present state refuse with 503 ``TN-IX-503-05`` (documented in
their OpenAPI), the reports over a stated period keep answering with the header; the next step
that finds the chain has the checkpoint again clears the stop. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.factories import (
    C_FLAKE,
    CERT_RECYCLER,
    P_AUDITOR,
    P_RECYCLER,
    U_RECYCLER,
    World,
    evidence,
)
from tests.indexer.conftest import follower_for
from tests.indexer.test_reports import TestClient
from tracenet.indexer import Follower, ReorgTooDeepError, Web3Reader
from tracenet.indexer.api._api import MIRROR_HEADER, create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.errors import CODES
from tracenet.indexer.mirror._check import check_lag

#: The routes that need the head: they answer the chain's present state.
HEAD_ROUTES = [
    "/v1/balances",
    "/v1/shipments",
    "/v1/registry/parties",
    f"/v1/classes/{C_FLAKE}/audit?period=2031-Q1",
]


def _inputs(world: World, n: int, tag: str) -> None:
    for i in range(n):
        world.ok("record_input", world.cast.recycler, C_FLAKE, 1_000 + i, CERT_RECYCLER,
                 evidence(f"{tag}{i}"))  # fmt: skip


def test_a_deep_reorg_stops_the_mirror_and_every_answer_says_so(
    world: World, engine: Engine
) -> None:
    tester = world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    follower: Follower = follower_for(world, engine, reorg_window=2, max_block_range=1)
    follower.catch_up()
    with engine.begin() as conn:
        auditor, recycler = create_key(conn, P_AUDITOR), create_key(conn, P_RECYCLER)
    client = TestClient(create_app(engine))
    headers = {"Authorization": f"Bearer {auditor}"}
    _inputs(world, 1, "before")
    follower.catch_up()
    healthy = client.get("/v1/status", headers=headers)
    assert healthy.json()["stopped"] is None and MIRROR_HEADER not in healthy.headers
    assert client.get("/v1/balances", headers=headers).status_code == 200

    fork = tester.take_snapshot()
    _inputs(world, 4, "lost")  # one block each, more than the window of 2
    follower.catch_up()
    lost = tester.take_snapshot()
    checkpoint = follower.checkpoint()[0]
    tester.revert_to_snapshot(fork)
    _inputs(world, 6, "won")  # another branch, longer, diverging below the window
    with pytest.raises(ReorgTooDeepError):
        follower.step()

    status = client.get("/v1/status", headers=headers)
    assert status.status_code == 200
    stop = status.json()["stopped"]
    assert (stop["code"], stop["error"], stop["block"]) == (
        "TN-IX-500-03",
        "ReorgTooDeep",
        checkpoint,
    )
    assert stop["at"].endswith("Z") and "--reset" in stop["message"]
    assert status.json()["block_number"] == checkpoint  # the abandoned fork's block, as before
    header = status.headers[MIRROR_HEADER]
    assert header.startswith(f"stopped; code=TN-IX-500-03; error=ReorgTooDeep; block={checkpoint}")
    # Every answer carries it: errors, unknown routes, the documents, another party's key.
    for url, who in [
        ("/v1/nowhere", auditor), ("/v1/status", None), ("/openapi.json", None),
        ("/v1/status", recycler),
    ]:  # fmt: skip
        answer = client.get(url, headers={"Authorization": f"Bearer {who}"} if who else {})
        assert answer.headers.get(MIRROR_HEADER) == header, url
    # The routes that need the head refuse, documented; the stated-period reports answer.
    for url in HEAD_ROUTES:
        refused = client.get(url, headers=headers)
        body = refused.json()
        assert (refused.status_code, body["code"], body["error"]) == (
            503, "TN-IX-503-05", "MirrorStopped"
        ), url  # fmt: skip
        assert body["args"]["block"] == checkpoint and "Retry-After" not in refused.headers
        assert refused.headers[MIRROR_HEADER] == header
    assert CODES["TN-IX-503-05"].status == 503
    statement = client.get(
        f"/v1/units/{U_RECYCLER}/statement?class_id={C_FLAKE}&period=2031-Q1", headers=headers
    )
    assert statement.status_code == 200 and statement.headers[MIRROR_HEADER] == header
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/balances", "/v1/shipments", "/v1/registry/{kind}",
                 "/v1/classes/{class_id}/audit"):  # fmt: skip
        assert "TN-IX-503-05" in paths[path]["get"]["responses"]["503"]["description"], path
    assert "503" not in paths["/v1/units/{unit_id}/statement"]["get"]["responses"]

    # `tracenet indexer check` fails on it, saying why.
    lag = check_lag(engine, Web3Reader(world.w3), max_blocks=1_000, max_seconds=1e9)
    assert not lag.ok and "the follower stopped (TN-IX-500-03 ReorgTooDeep" in lag.describe()

    # A follower started again sees the same divergence: still stopped.
    again = follower_for(world, engine, reorg_window=2, max_block_range=1)
    with pytest.raises(ReorgTooDeepError):
        again.step()
    assert client.get("/v1/status", headers=headers).json()["stopped"]["code"] == "TN-IX-500-03"
    # The chain has the checkpoint again (the node came back on that branch): the stop clears.
    tester.revert_to_snapshot(lost)
    again.catch_up()
    cleared = client.get("/v1/status", headers=headers)
    assert cleared.json()["stopped"] is None and MIRROR_HEADER not in cleared.headers
    assert check_lag(engine, Web3Reader(world.w3), max_blocks=1_000, max_seconds=1e9).ok
    assert client.get("/v1/balances", headers=headers).status_code == 200
    follower.close()
    again.close()
