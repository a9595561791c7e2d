"""The chain record the verifier reads: plain frozen data, the ledger's events in chain order and
the views that go with them (``read_chain`` fills it), so a check runs over it and nothing else,
and a test can tamper with any part of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tracenet.contracts import CertificateStatus, Custody
from tracenet.contracts.records import (
    CertificateRegistered,
    CertificateStatusChanged,
    ClassSpec,
    FactorRegistered,
    PartyRegistered,
    ProcessRegistered,
    RollingShareApplied,
    UnitRegistered,
)
from tracenet.indexer.lineage._lineage import LedgerEvent
from tracenet.indexer.mirror._decode import EventRef
from tracenet.kit import iso_time

__all__ = ["ChainRecord", "StatusChange"]


@dataclass(frozen=True)
class StatusChange:
    """A certificate's status as stated (issue 20): its ``CertificateStatusChanged`` record and
    where it was recorded (``ref``; ``None``: a status the view shows with no event, whose time
    is unknown)."""

    ref: EventRef | None
    record: CertificateStatusChanged

    @property
    def status(self) -> CertificateStatus:
        return CertificateStatus(self.record.status)

    def words(self) -> str:
        """``suspended from 2031-01-02T00:00:00Z (major non-conformity)``."""
        if self.ref is None:
            return f"{self.status.name}, with no event"
        why = f" ({self.record.reason})" if self.record.reason else ""
        return f"{self.status.name} from {iso_time(self.record.effective_at)}{why}"


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
    #: certificate id -> its ``CertificateRegistered`` event's place
    certificate_registered_at: Mapping[int, EventRef]
    #: certificate id -> its ``CertificateStatusChanged`` events, in chain order (issue 20)
    certificate_changes: Mapping[int, tuple[StatusChange, ...]]
    #: certificate id -> its status as the ledger's view states it now (``CertificateStatus``)
    certificate_status: Mapping[int, int]
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

    def status_of(self, certificate_id: int) -> CertificateStatus:
        """Certificate ``certificate_id``'s status as the ledger's view states it now."""
        return CertificateStatus(self.certificate_status.get(certificate_id, 0))

    def out_of_force_at(self, certificate_id: int, ref: EventRef) -> StatusChange | None:
        """Why certificate ``certificate_id`` was not in force at the step ``ref`` — the last
        status recorded before it, when that is not valid — or ``None`` (in force). As the
        ledger judged it then: a status recorded after the step did not stop it, whatever its
        effective date."""
        changes = self.certificate_changes.get(certificate_id, ())
        before = [c for c in changes if c.ref is not None and _before(c.ref, ref)]
        if before:
            return None if before[-1].status == CertificateStatus.valid else before[-1]
        now = self.status_of(certificate_id)
        if not changes and now != CertificateStatus.valid:
            # The view shows a status no event records: when is unknown, so not trusted.
            stated = CertificateStatusChanged(
                certificate_id=certificate_id, status=int(now), effective_at=0, reason=""
            )
            return StatusChange(None, stated)
        return None

    def stated_later(self, certificate_id: int, ref: EventRef) -> StatusChange | None:
        """The first status other than valid recorded after the step ``ref`` (a warning)."""
        for c in self.certificate_changes.get(certificate_id, ()):
            if (
                c.ref is not None
                and not _before(c.ref, ref)
                and c.status != CertificateStatus.valid
            ):
                return c
        return None


def _before(a: EventRef, b: EventRef) -> bool:
    return (a.block_number, a.log_index) < (b.block_number, b.log_index)
