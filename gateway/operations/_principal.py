"""Who is calling: what every planner is told about the caller (the API layer authenticates)."""

from __future__ import annotations

from dataclasses import dataclass

from tracenet.gateway.errors import AuthError

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, its party and its scope."""

    key_id: int
    party_id: int
    scope: str

    def require_write(self) -> None:
        if self.scope != "write":
            raise AuthError("this API key may only read", error="ScopeInsufficient")
