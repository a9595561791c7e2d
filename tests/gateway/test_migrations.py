"""The request store's schema migrations: data written at the first revision survives every
upgrade to the last, on SQLite and PostgreSQL; a store made before migrations is adopted;
``tracenet gateway migrate`` applies them by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.factories import temporary_database
from tracenet.gateway import Store, hash_key, make_engine
from tracenet.gateway.pipeline._migrate import HEAD, current_revision, migrate

NOW = datetime(2031, 3, 1, tzinfo=UTC)
_SEQ_TYPE = text(
    "SELECT data_type FROM information_schema.columns "
    "WHERE table_name = 'gw_request' AND column_name = 'seq'"
)


def _write_at_first_revision(engine: Engine) -> None:
    assert migrate(engine, "0001") == "0001"
    with engine.begin() as c:
        c.execute(
            text("INSERT INTO gw_api_key (label, party_id, scope, key_hash, created_at) "
                 "VALUES ('old', 4, 'write', :h, :t)"),
            {"h": hash_key("tn_old_key"), "t": NOW},
        )  # fmt: skip
        for seq, status in ((1, "confirmed"), (2, "queued")):
            c.execute(
                text("INSERT INTO gw_request (id, party_id, unit_id, operation, status, "
                     "created_at, api_key_id, body_hash, payload, to_address, call_data, attempts,"
                     " nonce, block_number, outcome) VALUES (:id, 4, 1, 'ship', :st, :t, 1, 'h', "
                     ":p, '0x00', '0x', 0, :n, :b, :o)"),
                {"id": f"req-{seq}", "st": status, "t": NOW, "p": json.dumps({"quantity": seq}),
                 "n": seq, "b": 10 + seq, "o": json.dumps({"events": []})},
            )  # fmt: skip
        c.execute(text("INSERT INTO gw_signer (address, next_nonce) VALUES ('0xabc', 7)"))


def _check_after_upgrade(engine: Engine) -> None:
    store = Store(engine)  # applies every later migration at start
    try:
        assert current_revision(engine) == HEAD
        key = store.find_key(hash_key("tn_old_key"))
        assert key is not None and (key.label, key.party_id) == ("old", 4)
        rows = store.list_requests(4, status=None, after=0, limit=10)
        assert [(r.id, r.status, r.payload, r.nonce) for r in rows] == [
            ("req-1", "confirmed", {"quantity": 1}, 1),
            ("req-2", "queued", {"quantity": 2}, 2),
        ]
        assert store.nonces() == {"0xabc": 7}
        assert [r.seq for r in store.list_requests(4, status="queued", after=0, limit=9)] == [2]
        big = 2**40  # 64-bit cursors and nonces after the last revision, on both backends
        assert store.list_requests(4, status=None, after=big, limit=10) == []
        store.write_sync(lambda s: s.exec(text(f"UPDATE gw_signer SET next_nonce = {big}")))
        assert store.nonces() == {"0xabc": big}
    finally:
        store.close()


def test_sqlite_data_of_the_first_revision_survives_the_upgrade(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/gw.db")
    _write_at_first_revision(engine)
    _check_after_upgrade(engine)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_database("tracenet_gw_mig") as url:
        yield url


@pytest.mark.integration
def test_postgres_data_of_the_first_revision_survives_the_upgrade(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        _write_at_first_revision(engine)
        _check_after_upgrade(engine)
        engine = make_engine(pg_url)
        with engine.connect() as c:
            kind = c.execute(_SEQ_TYPE).scalar()
    finally:
        engine.dispose()
    assert kind == "bigint"


def test_a_store_made_before_migrations_is_adopted(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/gw.db")
    _write_at_first_revision(engine)
    with engine.begin() as c:  # as create_all left it: the tables, no version table
        c.execute(text("DROP TABLE gw_alembic_version"))
    _check_after_upgrade(engine)


def test_tracenet_gateway_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gw.db"
    engine = make_engine(url)
    _write_at_first_revision(engine)
    engine.dispose()
    env = {**os.environ, "TRACENET_GATEWAY_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "tracenet.cli", "gateway", "migrate"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"revision": HEAD, "was": "0001"}
    engine = make_engine(url)
    assert current_revision(engine) == HEAD
    engine.dispose()
