"""The request store's schema, versioned: Alembic migrations in gateway/migrations/versions.

``migrate(engine)`` brings a store to the latest revision: a new store gets every migration, a
store the gateway created before migrations existed (tables, no version table) is recognised
as revision 0001 and upgraded from there. The store applies it at start; ``tracenet gateway
migrate`` applies it by hand. Data in the store survives every upgrade (a test writes with the
first revision and upgrades to the last).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

__all__ = ["HEAD", "current_revision", "migrate"]

_SCRIPTS = Path(__file__).parent / "migrations"
_VERSION_TABLE = "gw_alembic_version"


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = connection
    return config


def _head() -> str:
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert head is not None
    return head


#: The latest revision.
HEAD = _head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": _VERSION_TABLE})
        return context.get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the store to ``revision`` (the latest by default); returns the revision now."""
    with engine.begin() as connection:
        config = _config(connection)
        tables = set(inspect(connection).get_table_names())
        if _VERSION_TABLE not in tables and "gw_request" in tables:
            command.stamp(config, "0001")  # created by create_all before migrations existed
        command.upgrade(config, revision)
    return current_revision(engine)
