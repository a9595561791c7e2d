"""``indexer check`` fails when the mirror trails the head by too many blocks, or when the oldest
block it misses was mined too long ago (a stopped or stuck follower); ``indexer keys create``
before catch-up says what to do; ``indexer/ERRORS.md`` is the generated table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.factories import C_FLAKE, CERT_RECYCLER, P_RECYCLER, World, evidence
from tracenet.indexer import Follower, NotFoundError, Web3Reader
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.errors import codes_markdown
from tracenet.indexer.mirror._check import check_lag
from tracenet.indexer.mirror._store import create_schema, make_engine


def test_a_mirror_behind_the_head_or_stuck_fails_the_check(
    world: World, follower: Follower, engine: Engine
) -> None:
    follower.catch_up()
    reader = Web3Reader(world.w3)
    caught_up = check_lag(engine, reader, max_blocks=0, max_seconds=1)
    assert caught_up.ok and caught_up.behind_blocks == 0, caught_up.describe()
    for _ in range(3):
        world.ok("record_input", world.cast.recycler, C_FLAKE, 1_000, CERT_RECYCLER, evidence())
    first_missing = reader.headers([caught_up.checkpoint + 1])[caught_up.checkpoint + 1]
    behind = check_lag(engine, reader, max_blocks=2, max_seconds=60, now=first_missing.timestamp)
    assert behind.behind_blocks == 3 and not behind.ok
    assert "3 blocks behind (at most 2)" in behind.describe()
    tolerated = check_lag(engine, reader, max_blocks=3, max_seconds=60, now=first_missing.timestamp)
    assert tolerated.ok
    stuck = check_lag(
        engine, reader, max_blocks=3, max_seconds=60, now=first_missing.timestamp + 61
    )
    assert not stuck.ok and "stuck" in stuck.describe()
    follower.catch_up()
    assert check_lag(engine, reader, max_blocks=0, max_seconds=1, now=1e12).ok


def test_a_key_before_catch_up_says_what_to_do(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.sqlite3")
    create_schema(engine)
    with pytest.raises(NotFoundError) as caught, engine.begin() as conn:
        create_key(conn, P_RECYCLER)
    engine.dispose()
    assert caught.value.code == "TN-IX-404-06"
    assert "mirror is empty" in caught.value.message
    assert "tracenet indexer run --once" in caught.value.message


def test_errors_md_is_the_generated_table() -> None:
    text = (Path(__file__).parents[2] / "indexer" / "ERRORS.md").read_text(encoding="utf-8")
    assert codes_markdown() in text
