"""Alembic migrations of the indexer's mirror (``indexer._migrate``)."""
