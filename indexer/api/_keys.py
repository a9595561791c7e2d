"""Read keys of the API: bound to a party, stored as SHA-256, shown once at creation."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Connection, select

from tracenet.indexer.errors import AccessDeniedError, NotFoundError
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import ApiKey, Cursor, Party, Unit
from tracenet.kit import hash_key

__all__ = ["AUDITOR", "Caller", "create_key", "hash_key", "resolve_key"]

AUDITOR = 4
_PREFIX = "tnr_"


def create_key(conn: Connection, party_id: int, label: str = "") -> str:
    """A new read key for ``party_id``; the secret is returned once and never stored."""
    if conn.execute(select(table(Party).c.id).where(table(Party).c.id == party_id)).first() is None:
        raise NotFoundError(_no_party(conn, party_id), field="party_id", error="PartyUnknown")
    secret = _PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        table(ApiKey).insert(),
        {
            "party_id": party_id,
            "key_hash": hash_key(secret),
            "label": label,
            "created_at": int(time.time()),
            "revoked": False,
        },
    )
    return secret


def _no_party(conn: Connection, party_id: int) -> str:
    """Why a party is missing, and what to do: the mirror may not have caught up yet."""
    block = conn.execute(select(table(Cursor).c.block_number)).scalar()
    where = "the mirror is empty" if block is None else f"the mirror is at block {block}"
    return (
        f"no party {party_id} in the mirror ({where}): if the party is registered on chain, "
        "let the indexer catch up first (`tracenet indexer run --once`, or wait for the running "
        "indexer) and create the key again"
    )


class Caller:
    """Who reads: a party, its units, and whether it is an auditor (role on chain)."""

    def __init__(self, party_id: int, auditor: bool, units: frozenset[int]) -> None:
        self.party_id = party_id
        self.auditor = auditor
        self.units = units

    def require_unit(self, unit_id: int) -> None:
        if not (self.auditor or unit_id in self.units):
            raise AccessDeniedError(
                f"party {self.party_id} may not read unit {unit_id}", field="unit_id"
            )

    def require_auditor(self) -> None:
        if not self.auditor:
            raise AccessDeniedError(
                f"party {self.party_id} is not an auditor",
                field="party_id",
                error="AuditorRequired",
            )


def resolve_key(conn: Connection, secret: str | None) -> Caller:
    if not secret:
        raise AccessDeniedError(
            "an API key is required (Authorization: Bearer <key>, or X-API-Key)",
            field="api_key",
            error="ApiKeyMissing",
        )
    k = table(ApiKey)
    row = conn.execute(
        select(k.c.party_id).where(k.c.key_hash == hash_key(secret), k.c.revoked.is_(False))
    ).first()
    if row is None:
        raise AccessDeniedError(
            "unknown or revoked API key", field="api_key", error="ApiKeyInvalid"
        )
    party = conn.execute(select(table(Party)).where(table(Party).c.id == row.party_id)).first()
    roles = party.roles if party is not None else 0
    units = frozenset(
        int(u)
        for u in conn.execute(
            select(table(Unit).c.id).where(table(Unit).c.party_id == row.party_id)
        ).scalars()
    )
    return Caller(int(row.party_id), bool(roles & AUDITOR), units)
