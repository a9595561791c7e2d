"""Alembic environment of the indexer's mirror (run by ``indexer.mirror._migrate``).

The connection comes in ``config.attributes["connection"]``; the version table is
``ix_alembic_version``, so the mirror may share a PostgreSQL database with the gateway's store.
"""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "ix_alembic_version"

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
