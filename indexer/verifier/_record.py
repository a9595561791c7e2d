"""The chain record the verifier reads: plain frozen data, the ledger's events in chain order and
the views that go with them (``read_chain`` fills it), so a check runs over it and nothing else,
and a test can tamper with any part of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tracenet.contracts import Custody
from tracenet.contracts.records import (
    CertificateRegistered,
    ClassSpec,
    FactorRegistered,
    PartyRegistered,
    ProcessRegistered,
    RollingShareApplied,
    UnitRegistered,
)
from tracenet.indexer.lineage._lineage import LedgerEvent
from tracenet.indexer.mirror._decode import EventRef

__all__ = ["ChainRecord"]


@dataclass(frozen=True)
class ChainRecord:
    """A ledger's record as read from the chain: events in chain order, and named views."""

    chain_id: int
    addresses: Mapping[str, str]
    head_block: int
    events: tuple[LedgerEvent, ...]
    parties: Mapping[int, PartyRegistered]  # roles as last changed (``PartyRolesChanged``)
    units: Mapping[int, UnitRegistered]
    schemes: Mapping[int, tuple[str, int]]  # id -> (name, max period months)
    product_groups: Mapping[int, tuple[str, int]]  # id -> (name, max share bps)
    classes: Mapping[int, ClassSpec]  # class id -> its spec (``ClassRegistered``)
    processes: Mapping[int, ProcessRegistered]
    factors: Mapping[int, tuple[FactorRegistered, ...]]  # process id -> its factors by version
    certificates: Mapping[int, CertificateRegistered]
    #: certificate id -> its ``CertificateRegistered`` / ``CertificateRevoked`` event's place
    certificate_registered_at: Mapping[int, EventRef]
    certificate_revoked_at: Mapping[int, EventRef]
    revoked: frozenset[int]  # certificate ids the ledger's view calls revoked now
    #: scheme id -> its custody mode changes (``SchemeCustodySet``) in chain order; a scheme
    #: with none requires no certified chain of custody (``Custody.none``).
    scheme_custody: Mapping[int, tuple[tuple[EventRef, Custody], ...]]
    counts: tuple[int, int, int, int]  # the ledger's inputs, shipments, conversions, claims
    claimed: Mapping[int, int]  # class id -> grams claimed, by the ledger's counters
    wiring: Mapping[str, str]  # what the contracts say about each other (consortium.ledger…)
    #: R8 (issue 10): conventional inputs (ref, unit, product group, grams), the shares applied,
    #: and when each class was registered (inputs before it do not count for its share).
    conventional: tuple[tuple[EventRef, int, int, int], ...] = ()
    rolling: tuple[RollingShareApplied, ...] = ()
    class_registered_at: Mapping[int, EventRef] = field(default_factory=dict)

    def custody_at(self, scheme_id: int, ref: EventRef) -> Custody:
        """The custody mode scheme ``scheme_id`` required when the event at ``ref`` ran."""
        mode = Custody.none
        for at, value in self.scheme_custody.get(scheme_id, ()):
            if (at.block_number, at.log_index) < (ref.block_number, ref.log_index):
                mode = value
        return mode
