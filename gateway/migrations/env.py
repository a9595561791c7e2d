"""Alembic environment of the gateway's request store (run by ``gateway._migrate``).

The connection comes in ``config.attributes["connection"]``; the version table is
``gw_alembic_version``, so the gateway's store may share a PostgreSQL database with another
component's migrations.
"""

from __future__ import annotations

from tracenet.kit.migrations import run_environment

VERSION_TABLE = "gw_alembic_version"

run_environment(VERSION_TABLE)
