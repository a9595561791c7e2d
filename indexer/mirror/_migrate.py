"""The mirror's schema, versioned: Alembic migrations in indexer/migrations/versions.

``migrate(engine)`` brings a mirror to the latest revision. A new mirror is created from the
tables' metadata and stamped at the head (the same schema the migrations build: a test compares
them); a mirror the indexer created before migrations existed (tables, no version table) is
recognised as revision 0001 and upgraded from there; a mirror emptied by ``--reset`` starts
afresh. Every command that opens the mirror applies it; ``tracenet indexer migrate`` applies it
by hand. Data survives every upgrade (a test writes with the first revision and upgrades).
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from sqlalchemy import Table, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from tracenet.kit.migrations import Migrations

__all__ = ["HEAD", "current_revision", "migrate", "mirror_tables"]

_MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "ix_alembic_version")
_VERSION_TABLE = _MIGRATIONS.version_table

#: The latest revision.
HEAD = _MIGRATIONS.head


def mirror_tables() -> list[Table]:
    """The mirror's tables (not those of other components sharing SQLModel's metadata)."""
    from tracenet.indexer.mirror import _tables, _tables_ops

    models = [getattr(m, n) for m in (_tables, _tables_ops) for n in m.__all__]
    return [m.__table__ for m in models]


def current_revision(engine: Engine) -> str | None:
    return _MIGRATIONS.current_revision(engine)


#: Key of the PostgreSQL advisory lock held while one process migrates (b"tn-ix-mg").
_LOCK_KEY = 0x746E2D69782D6D67


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Brings the mirror to ``revision`` (the latest by default); returns the revision now.

    Several processes may start on one fresh mirror at once (an indexer and its API): on
    PostgreSQL they take turns on an advisory lock, on SQLite on a lock file beside the
    database."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return _migrate(engine, revision)
    with open(f"{database}.migrate-lock", "a") as lock:  # one migrator per SQLite file
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _migrate(engine, revision)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrate(engine: Engine, revision: str) -> str | None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
        tables = set(inspect(connection).get_table_names())
        versioned = _VERSION_TABLE in tables
        if "cursor" not in tables:
            if versioned:  # emptied by drop_all (``run --reset``): start afresh
                connection.execute(text(f"DELETE FROM {_VERSION_TABLE}"))
            if revision in ("head", HEAD):
                SQLModel.metadata.create_all(connection, tables=mirror_tables())
                _MIGRATIONS.stamp(connection, "head")
                return HEAD
        elif not versioned:
            _MIGRATIONS.stamp(connection, "0001")  # created by create_all before migrations existed
        _MIGRATIONS.upgrade(connection, revision)
    return current_revision(engine)
