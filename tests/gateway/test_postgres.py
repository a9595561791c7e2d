"""The gateway's store on a real PostgreSQL: accepted writes, idempotency, persisted nonces.

One database per test session (uniquely named, dropped at the end); tables emptied per test.
The chain is the in-process eth-tester; the gateway is served by a real uvicorn (live.py), so
concurrent clients really are concurrent.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlmodel import SQLModel

from tests import factories as f
from tests.factories import World, temporary_database
from tests.gateway.conftest import wait_until
from tests.gateway.live import Live, serve
from tracenet.gateway import make_engine
from tracenet.wallet import LocalSigner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    with temporary_database("tracenet_gw") as url:
        yield url


@pytest.fixture
def pg_url(_pg_database: str) -> str:
    engine = make_engine(_pg_database)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:  # the next store migrates from nothing again
        connection.exec_driver_sql("DROP TABLE IF EXISTS gw_alembic_version")
    engine.dispose()
    return _pg_database


def _sql(url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return list(conn.execute(query, args).fetchall())  # type: ignore[arg-type]


def _input(n: int) -> dict[str, Any]:
    return {
        "unit": "recycling-plant", "class": "rpet-flake", "amount": 1_000 + n,
        "certificate": f.CERT_RECYCLER, "evidence_hash": "0x" + f.evidence(f"pg-{n}").hex(),
    }  # fmt: skip


def _final(live: Live, request_id: str, key: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {key}"}
        body: dict[str, Any] = live.http.get(f"/v1/requests/{request_id}", headers=headers).json()
        return body if body["status"] in ("confirmed", "rejected") else None

    result: dict[str, Any] = wait_until(done, timeout=20, what=f"request {request_id}")
    return result


def test_an_accepted_write_is_in_postgres_and_ends_confirmed(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path, pg_url: str
) -> None:
    with serve(world, world_keys, tmp_path, pg_url) as live:
        key = live.key(f.P_RECYCLER)
        answer = live.post("/v1/inputs", _input(1), key)
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["id"]
        # On disk (in PostgreSQL) when the 202 came back.
        rows = _sql(pg_url, "SELECT operation, party_id FROM gw_request WHERE id = %s", request_id)
        assert rows == [("record_input", f.P_RECYCLER)]
        done = _final(live, request_id, key)
    assert done["status"] == "confirmed"
    assert "InputRecorded" in [e["event"] for e in done["outcome"]["events"]]
    (row,) = _sql(
        pg_url, "SELECT status, tx_hash, block_number, raw_tx FROM gw_request WHERE id = %s",
        request_id,
    )  # fmt: skip
    assert row[:3] == ("confirmed", done["tx_hash"], done["block_number"])
    assert row[3].startswith("0x") and len(row[3]) > 100  # the signed bytes were persisted


def test_idempotency_on_postgres_under_concurrent_replays(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path, pg_url: str
) -> None:
    with serve(world, world_keys, tmp_path, pg_url) as live:
        key = live.key(f.P_RECYCLER)
        body = _input(2)
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "order-42"}

        def post(_: int) -> Any:
            return live.http.post("/v1/inputs", json=body, headers=headers)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(8)))
        assert sorted(a.status_code for a in answers) == [200] * 7 + [202], [
            a.text for a in answers
        ]
        assert len({a.json()["id"] for a in answers}) == 1
        other = live.http.post("/v1/inputs", json=_input(3), headers=headers)
        assert (other.status_code, other.json()["code"]) == (409, "TN-GW-409-01")
        assert other.json()["args"]["requestId"] == answers[0].json()["id"]
        assert _final(live, answers[0].json()["id"], key)["status"] == "confirmed"
        again = live.http.post("/v1/inputs", json=body, headers=headers)
        assert again.status_code == 200 and again.json()["status"] == "confirmed"
    assert _sql(pg_url, "SELECT count(*) FROM gw_request")[0][0] == 1
    receipts = [world.w3.eth.get_block(n, True) for n in range(world.w3.eth.block_number + 1)]
    sent = [tx for b in receipts for tx in b["transactions"] if tx["to"] == world.ledger.address]
    assert len(sent) == 1  # one transaction on chain for eight posts and a replay


def test_nonces_persist_in_postgres_across_a_restart(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path, pg_url: str
) -> None:
    with serve(world, world_keys, tmp_path, pg_url) as live:
        key = live.key(f.P_RECYCLER)
        first = [live.post("/v1/inputs", _input(10 + n), key).json()["id"] for n in range(3)]
        ends = [_final(live, i, key) for i in first]
    signer = ends[0]["signer"]
    nonces = sorted(e["nonce"] for e in ends if e["signer"] == signer)
    stored = _sql(pg_url, "SELECT next_nonce FROM gw_signer WHERE address = %s", signer)
    assert stored == [(max(e["nonce"] for e in ends if e["signer"] == signer) + 1,)]
    assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))

    (tmp_path / "again").mkdir()
    with serve(world, world_keys, tmp_path / "again", pg_url) as live:
        # The API key, the requests and the nonces all came back from PostgreSQL.
        assert _final(live, first[0], key)["status"] == "confirmed"
        more = [live.post("/v1/inputs", _input(20 + n), key).json()["id"] for n in range(3)]
        later = [_final(live, i, key) for i in more]
    assert {e["status"] for e in later} == {"confirmed"}
    after = sorted(e["nonce"] for e in later if e["signer"] == signer)
    assert after == list(range(stored[0][0], stored[0][0] + len(after)))
    on_chain = world.w3.eth.get_transaction_count(signer)
    assert _sql(pg_url, "SELECT next_nonce FROM gw_signer WHERE address = %s", signer) == [
        (on_chain,)
    ]
