"""Alembic migrations of the indexer's mirror (``indexer.mirror._migrate``)."""
