"""Signed-in sessions: the API keys stay on the server; the browser holds only a random id in
an HttpOnly, SameSite=Strict cookie. Sessions live in memory and end with the process."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from tracenet.contracts import Role

__all__ = ["COOKIE", "Session", "Sessions"]

COOKIE = "tracenet_console"


@dataclass
class Session:
    party: str  # the party key of the gateway it signed in to
    gateway_url: str
    gateway_key: str = field(repr=False)
    indexer_key: str | None = field(default=None, repr=False)
    party_id: int | None = None
    auditor: bool = False
    roles: int | None = None  # the party's role mask on chain; None while unknown (no read key)
    last_used: float = field(default_factory=time.monotonic)
    #: Documents made for this session to download (signed reports), by a random token.
    documents: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def holds_credits(self) -> bool:
        """A member or an origin (or roles unknown): balances and shipments concern it."""
        return self.roles is None or bool(self.roles & (Role.member | Role.origin))

    @property
    def audits(self) -> bool:
        """An auditor (or roles unknown): the supply audit is for it."""
        return self.roles is None or self.auditor or bool(self.roles & Role.auditor)

    def keep(self, document: bytes, most: int = 10) -> str:
        """Keeps ``document`` for download (the ``most`` latest); its token."""
        token = secrets.token_urlsafe(16)
        self.documents[token] = document
        for old in list(self.documents)[:-most]:
            del self.documents[old]
        return token


class Sessions:
    def __init__(self, lifetime_s: float) -> None:
        self.lifetime_s = lifetime_s
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, session: Session) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._by_id[sid] = session
        return sid

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            found = self._by_id.get(sid)
            if found is None:
                return None
            if now - found.last_used > self.lifetime_s:
                del self._by_id[sid]
                return None
            found.last_used = now
            return found

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)
