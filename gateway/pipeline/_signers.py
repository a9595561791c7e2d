"""The signing keys a gateway holds, grouped by whom they act for on chain.

Who a key acts for is read from the chain (``Consortium.actorOf``), never taken from the key
file's labels: a key acts for exactly one party and at most one unit, so the gateway can only
ever sign for those. Several keys of one unit are used round-robin (each has its own nonces, so
they carry transactions in parallel).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr

from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.errors import ConfigurationError, RequestRejected
from tracenet.gateway.pipeline._views import LedgerViews
from tracenet.wallet import Keystore, Signer, WalletError, read_passphrase

__all__ = ["SignerPool", "follow_signers", "load_signers"]

log = logging.getLogger("gateway.signers")


@dataclass
class SignerPool:
    """Signers by ``(party_id, unit_id)``; unit 0 holds the party-level signers."""

    by_address: dict[str, Signer] = field(default_factory=dict)
    _groups: dict[tuple[int, int], list[Signer]] = field(default_factory=dict)
    _cycles: dict[tuple[int, int], Iterator[Signer]] = field(default_factory=dict)
    #: Every key the gateway holds (authorised on chain or not), and whom each acts for now.
    keys: dict[str, Signer] = field(default_factory=dict)
    acting: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, signer: Signer, party_id: int, unit_id: int) -> None:
        self.keys[signer.address] = signer
        self.by_address[signer.address] = signer
        self.acting[signer.address] = (party_id, unit_id)
        self._groups.setdefault((party_id, unit_id), []).append(signer)
        self._cycles[(party_id, unit_id)] = itertools.cycle(self._groups[(party_id, unit_id)])

    def hold(self, signer: Signer) -> None:
        """A key the gateway holds that acts for nobody (yet)."""
        self.keys[signer.address] = signer

    def regroup(self, acting: dict[str, tuple[int, int] | None]) -> list[str]:
        """Whom each key acts for, as the chain says now (``None``: revoked, or never
        authorised); returns the addresses whose assignment changed. ``by_address`` keeps every
        key that ever signed here (their transactions are still followed)."""
        changed = [a for a in self.keys if acting.get(a) != self.acting.get(a)]
        if not changed:
            return []
        self.acting = {a: who for a, who in acting.items() if who is not None and a in self.keys}
        groups: dict[tuple[int, int], list[Signer]] = {}
        for address, (party_id, unit_id) in self.acting.items():
            self.by_address[address] = self.keys[address]
            groups.setdefault((party_id, unit_id), []).append(self.keys[address])
        # Swapped in whole: the pipeline picks signers (``next``) on the store's writer thread,
        # while claiming, and must never see the groups half rebuilt.
        self._groups, self._cycles = groups, {g: itertools.cycle(s) for g, s in groups.items()}
        return changed

    def parties(self) -> set[int]:
        return {p for p, _ in self._groups}

    def has(self, party_id: int, unit_id: int) -> bool:
        return (party_id, unit_id) in self._groups

    def require(self, party_id: int, unit_id: int, *, any_unit: bool = False) -> None:
        """``NoSigner`` unless a key acts for the unit (or, with ``any_unit``, for the party)."""
        if self.has(party_id, unit_id):
            return
        if any_unit and any(p == party_id for p, _ in self._groups):
            return
        raise RequestRejected(
            f"this gateway holds no signing key for party {party_id} unit {unit_id}",
            error="NoSigner",
            field="unit" if unit_id else None,
        )

    def next(self, party_id: int, unit_id: int) -> Signer:
        """The next signer of the unit; party-level work may use any key of the party."""
        cycle = self._cycles.get((party_id, unit_id))
        if cycle is None and unit_id == 0:
            cycle = next((c for (p, _), c in self._cycles.items() if p == party_id), None)
        if cycle is None:
            raise RequestRejected("no signing key", error="NoSigner")
        return next(cycle)

    def summary(self) -> list[dict[str, object]]:
        return [
            {"party": p, "unit": u, "signers": [s.address for s in signers]}
            for (p, u), signers in sorted(self._groups.items())
        ]


def unlock_keys(settings: GatewaySettings) -> list[Signer]:
    """Unlock the configured keys of the key store (every key when none are named)."""
    keystore = Keystore(settings.wallet_dir)
    labels = settings.signers or [info.label for info in keystore.list()]
    if not labels:
        raise ConfigurationError(f"no signing keys in {settings.wallet_dir}")
    passphrase: SecretStr = settings.passphrase or read_passphrase(
        env_var=settings.passphrase_env, file=settings.passphrase_file
    )
    try:
        return [keystore.unlock(label, passphrase) for label in labels]
    except WalletError as exc:
        raise ConfigurationError(f"cannot unlock the gateway's keys: {exc}") from None


async def load_signers(views: LedgerViews, signers: Sequence[Signer]) -> SignerPool:
    """Group ``signers`` by the party and unit the chain says each acts for."""
    pool = SignerPool()
    for signer in signers:
        actor = await views.actor(signer.address)
        if actor is None:
            log.warning("key %s is not an authorised signer; not used", signer.address)
            pool.hold(signer)
            continue
        pool.add(signer, actor.party_id, actor.unit_id)
    return pool


async def follow_signers(views: LedgerViews, pool: SignerPool) -> list[str]:
    """Re-read on chain whom every held key acts for (``Consortium.actorOf``) and regroup the
    pool: a signer revoked on chain stops being used at once, one authorised is used."""
    actors = await asyncio.gather(*(views.actor(a) for a in pool.keys))
    acting = {
        address: None if actor is None else (actor.party_id, actor.unit_id)
        for address, actor in zip(pool.keys, actors, strict=True)
    }
    changed = pool.regroup(acting)
    for address in changed:
        log.warning("signer %s now acts for %s (registry change on chain)", address,
                    acting[address] or "nobody")  # fmt: skip
    return changed
