"""Alembic environment of the indexer's mirror (run by ``indexer.mirror._migrate``).

The connection comes in ``config.attributes["connection"]``; the version table is
``ix_alembic_version``, so the mirror may share a PostgreSQL database with the gateway's store.
"""

from __future__ import annotations

from tracenet.kit.migrations import run_environment

VERSION_TABLE = "ix_alembic_version"

run_environment(VERSION_TABLE)
