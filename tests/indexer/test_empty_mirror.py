"""A mirror that holds no block yet (its cursor not written) answers a documented 503, never a
500: a report has no block to be as of until the follower runs."""

from __future__ import annotations

from sqlalchemy import Engine, delete

from tests.factories import P_RECYCLER, World
from tests.indexer.test_reports import TestClient
from tracenet.indexer import Follower
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.errors import CODES
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Cursor


def test_a_mirror_with_no_block_yet_is_a_503_not_a_500(
    world: World, follower: Follower, engine: Engine
) -> None:
    follower.catch_up()
    with engine.begin() as conn:
        key = create_key(conn, P_RECYCLER)
        conn.execute(delete(table(Cursor)))
    client = TestClient(create_app(engine))
    for route in ("/v1/shipments", "/v1/balances"):
        answer = client.get(route, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 503, (route, answer.text)
        body = answer.json()
        assert (body["code"], body["error"]) == ("TN-IX-503-07", "MirrorNotReady")
        assert CODES[body["code"]].retryable
