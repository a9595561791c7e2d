"""Alembic environment of the gateway's request store (run by ``gateway._migrate``).

The connection comes in ``config.attributes["connection"]``; the version table is
``gw_alembic_version``, so the gateway's store may share a PostgreSQL database with another
component's migrations.
"""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "gw_alembic_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
