"""API and read keys are stored as hashes only: the one hash, so a key made by one component
(``tracenet gateway keys``, ``tracenet indexer keys``) is checked the same way everywhere."""

from __future__ import annotations

import hashlib

__all__ = ["hash_key"]


def hash_key(secret: str) -> str:
    """The SHA-256 of ``secret`` as 64 hex digits (keys are 256-bit random: no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()
