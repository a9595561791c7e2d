"""The request store's schema, versioned: Alembic migrations in gateway/migrations/versions.

``migrate(engine)`` brings a store to the latest revision: a new store gets every migration, a
store the gateway created before migrations existed (tables, no version table) is recognised
as revision 0001 and upgraded from there. The store applies it at start; ``tracenet gateway
migrate`` applies it by hand. Data in the store survives every upgrade (a test writes with the
first revision and upgrades to the last).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from tracenet.kit.migrations import Migrations

__all__ = ["HEAD", "current_revision", "migrate"]

_MIGRATIONS = Migrations(Path(__file__).parents[1] / "migrations", "gw_alembic_version")

#: The latest revision.
HEAD = _MIGRATIONS.head


def current_revision(engine: Engine) -> str | None:
    return _MIGRATIONS.current_revision(engine)


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the store to ``revision`` (the latest by default); returns the revision now."""
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        if _MIGRATIONS.version_table not in tables and "gw_request" in tables:
            _MIGRATIONS.stamp(connection, "0001")  # created by create_all before migrations
        _MIGRATIONS.upgrade(connection, revision)
    return current_revision(engine)
