"""Fixtures of the indexer tests: the bootstrapped world on eth-tester (reverted after each test),
a mirror database per test on SQLite (tmp file) or PostgreSQL (one database per session, emptied
before each test), and a follower bound to both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from tests._support import free_port as free_port
from tests._support import wait_until as wait_until
from tests.factories import World, temporary_database
from tracenet.indexer import Follower, IndexerSettings, Web3Reader, make_engine
from tracenet.node import AnvilNode, NodeSettings


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this session only, dropped at the end."""
    with temporary_database("tracenet_idx") as url:
        yield url


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """The mirror's URL: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/mirror.sqlite3"
    url: str = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS ix_alembic_version"))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def follower_for(world: World, engine: Engine, **settings: object) -> Follower:
    follower = Follower(
        engine, Web3Reader(world.w3), world.handle.deployment, IndexerSettings(**settings)
    )
    follower.init()
    return follower


@pytest.fixture
def follower(world: World, engine: Engine) -> Follower:
    return follower_for(world, engine)


def node_settings(data_dir: Path, **kw: Any) -> NodeSettings:
    return NodeSettings(
        data_dir=data_dir,
        port=free_port(),
        block_time=0,
        accounts=12,
        gas_limit=1_000_000_000,
        **kw,
    )


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    """Things with a ``close()`` (HTTP clients) closed when the test ends."""
    things: list[Any] = []
    yield things
    for thing in things:
        thing.close()


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[AnvilNode]:
    with AnvilNode(node_settings(tmp_path / "node")) as node:
        yield node
