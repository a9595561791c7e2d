"""The one Alembic runner: each component that keeps a database (the gateway's request store,
the indexer's mirror) has its migrations folder and its own version table, and runs them through
``Migrations``; its ``env.py`` is ``run_environment(VERSION_TABLE)``.

The version tables differ (``gw_alembic_version``, ``ix_alembic_version``) so that components may
share one PostgreSQL database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

__all__ = ["Migrations", "run_environment"]


class Migrations:
    """A component's migrations: its scripts folder and its version table."""

    def __init__(self, scripts: Path, version_table: str) -> None:
        self.scripts = scripts
        self.version_table = version_table
        head = ScriptDirectory.from_config(self.config(None)).get_current_head()
        assert head is not None, f"{scripts}: no migration"
        #: The latest revision.
        self.head: str = head

    def config(self, connection: Connection | None) -> Config:
        """Alembic's configuration, with ``connection`` handed to ``env.py``."""
        config = Config()
        config.set_main_option("script_location", str(self.scripts))
        config.attributes["connection"] = connection
        return config

    def current_revision(self, engine: Engine) -> str | None:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": self.version_table}
            )
            return context.get_current_revision()

    def stamp(self, connection: Connection, revision: str) -> None:
        command.stamp(self.config(connection), revision)

    def upgrade(self, connection: Connection, revision: str = "head") -> None:
        command.upgrade(self.config(connection), revision)


def run_environment(version_table: str) -> None:
    """The body of a component's ``env.py``: run the migrations on the connection the runner
    handed over, inside one transaction (PostgreSQL's DDL is transactional)."""
    from alembic import context

    context.configure(
        connection=context.config.attributes["connection"],
        target_metadata=None,
        version_table=version_table,
        render_as_batch=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
