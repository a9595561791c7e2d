"""The chain record the verifier reads: plain frozen data, the ledger's events in chain order and
the views that go with them (``read_chain`` fills it), so a check runs over it and nothing else,
and a test can tamper with any part of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tracenet.contracts import CertificateStatus, Custody
from tracenet.contracts.records import ClassSpec, RollingShareApplied
from tracenet.indexer.lineage._lineage import EventRef, LedgerEvent
from tracenet.kit import iso_time

__all__ = [
    "CertificateInfo",
    "ChainRecord",
    "FactorInfo",
    "PartyInfo",
    "ProcessInfo",
    "StatusChange",
    "UnitInfo",
]


@dataclass(frozen=True)
class PartyInfo:
    party_id: int
    name: str
    identifier: bytes
    roles: int


@dataclass(frozen=True)
class UnitInfo:
    unit_id: int
    party_id: int
    boundary_id: int
    name: str
    location: str


@dataclass(frozen=True)
class StatusChange:
    """A ``CertificateStatusChanged`` event (issue 20): the status its certification body stated,
    effective ``effective_at``, recorded at ``ref`` (``None``: a status the view shows with no
    event, whose time is unknown)."""

    ref: EventRef | None
    status: CertificateStatus
    effective_at: int
    reason: str

    def words(self) -> str:
        """``suspended from 2031-01-02T00:00:00Z (major non-conformity)``."""
        if self.ref is None:
            return f"{self.status.name}, with no event"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.status.name} from {iso_time(self.effective_at)}{why}"


@dataclass(frozen=True)
class CertificateInfo:
    certificate_id: int
    holder_party_id: int
    scheme_id: int
    certifier_party_id: int
    number: str
    valid_from: int
    valid_until: int  # valid in [valid_from, valid_until)
    audited_volume: int
    class_ids: tuple[int, ...]
    unit_ids: tuple[int, ...]
    status: int  # the view, now (CertificateStatus)
    changes: tuple[StatusChange, ...]  # its CertificateStatusChanged events, in chain order
    registered_at: EventRef | None  # the CertificateRegistered event

    def out_of_force_at(self, ref: EventRef) -> StatusChange | None:
        """Why the certificate was not in force at the step ``ref`` — the last status recorded
        before it, when that is not valid — or ``None`` (in force). As the ledger judged it then:
        a status recorded after the step did not stop it, whatever its effective date."""
        before = [c for c in self.changes if c.ref is not None and _before(c.ref, ref)]
        if before:
            return None if before[-1].status == CertificateStatus.valid else before[-1]
        if not self.changes and self.status != CertificateStatus.valid:
            # The view shows a status no event records: when is unknown, so not trusted.
            return StatusChange(None, CertificateStatus(self.status), 0, "")
        return None

    def stated_later(self, ref: EventRef) -> StatusChange | None:
        """The first status other than valid recorded after the step ``ref`` (a warning)."""
        for c in self.changes:
            if (
                c.ref is not None
                and not _before(c.ref, ref)
                and c.status != CertificateStatus.valid
            ):
                return c
        return None


def _before(a: EventRef, b: EventRef) -> bool:
    return (a.block_number, a.log_index) < (b.block_number, b.log_index)


@dataclass(frozen=True)
class FactorInfo:
    version: int
    yield_bps: int
    effective_from: int
    evidence_hash: bytes


@dataclass(frozen=True)
class ProcessInfo:
    process_id: int
    unit_id: int
    input_class_id: int
    output_class_id: int
    name: str
    factors: tuple[FactorInfo, ...]  # by version


@dataclass(frozen=True)
class ChainRecord:
    """A ledger's record as read from the chain: events in chain order, and named views."""

    chain_id: int
    addresses: Mapping[str, str]
    head_block: int
    events: tuple[LedgerEvent, ...]
    parties: Mapping[int, PartyInfo]
    units: Mapping[int, UnitInfo]
    schemes: Mapping[int, tuple[str, int]]  # id -> (name, max period months)
    product_groups: Mapping[int, tuple[str, int]]  # id -> (name, max share bps)
    classes: Mapping[int, ClassSpec]  # class id -> its spec (``ClassRegistered``)
    processes: Mapping[int, ProcessInfo]
    certificates: Mapping[int, CertificateInfo]
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
