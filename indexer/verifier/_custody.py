"""The certified chain of custody (issue 13) read back from a ``ChainRecord``, as the ledger
decided it: which parties had to hold a certificate at a step, and the certificate each held.

It mirrors the contracts exactly. ``Ledger._lineClass``/``_checkCustody``: under a scheme whose
custody mode (``contracts.Custody``, from ``SchemeCustodySet`` as it stood at the step) is not
``none``, every line class of a shipment, inventory transfer, certificate trade and conversion
input needs the acting unit's certificate, and so does a conversion's output class; the
receiving unit of a shipment or transfer, and a claimant, need one under ``certified`` only
(``certified_final_claimant_exempt`` lets them be uncertified). ``Consortium.custodyCertificate``:
of the unit's party's certificates of the scheme, registered before the step, the latest that is
not revoked, valid at the step's block time (``[valid_from, valid_until)``) and whose scope
covers the class and the unit; when there is none, the latest certificate names why, with the
ledger's own error names (``CustodyCertificateMissing``, ``CertificateIsRevoked``,
``CertificateNotValid``, ``CertificateScopeClass``, ``CertificateScopeUnit``). A certificate
revoked after the step held then: ``Held.revoked_later`` says so.

The verifier checks each step's ``duties`` (``describe`` words them); the Sustainability
Declaration states ``declared_custody`` — the certificate each party held at dispatch — and is
refused (``DeclarationRefusedError``) when the supplier or a non-exempt recipient held none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracenet.contracts import Custody, split_token_id
from tracenet.indexer.errors import DeclarationRefusedError
from tracenet.indexer.lineage._lineage import (
    CertificatesTransferred,
    Claimed,
    Converted,
    EventRef,
    InventoryTransferred,
    LedgerEvent,
    Shipped,
)
from tracenet.indexer.verifier._chainread import CertificateInfo, ChainRecord
from tracenet.kit import iso_time as _when

__all__ = ["Duty", "Held", "declared_custody", "describe", "duties", "held", "who"]


def _before(a: EventRef, b: EventRef) -> bool:
    return (a.block_number, a.log_index) < (b.block_number, b.log_index)


@dataclass(frozen=True)
class Duty:
    """One party's custody duty at one step: ``role`` is supplier, recipient, converter,
    trader or claimant; ``exempt`` when the scheme lets this recipient or claimant be
    uncertified (a final claimant)."""

    role: str
    unit_id: int
    class_id: int
    scheme_id: int
    mode: Custody
    exempt: bool


@dataclass(frozen=True)
class Held:
    """The certificate a unit held for a class at a step, or why it held none."""

    certificate: CertificateInfo | None  # the valid one, or the latest one the problem is about
    problem: str | None  # the ledger's error name when none was valid
    revoked_later: EventRef | None  # the valid certificate's revocation, after the step

    @property
    def ok(self) -> bool:
        return self.problem is None


def duties(record: ChainRecord, event: LedgerEvent) -> list[Duty]:
    """Who had to be certified for what at ``event`` (empty outside custody schemes)."""
    out: list[Duty] = []

    def add(role: str, unit_id: int, class_id: int, receiving: bool) -> None:
        info = record.classes.get(class_id)
        if info is None:
            return
        mode = record.custody_at(info.scheme_id, event.ref)
        if mode == Custody.none:
            return
        exempt = receiving and mode == Custody.certified_final_claimant_exempt
        duty = Duty(role, unit_id, class_id, info.scheme_id, mode, exempt)
        if duty not in out:
            out.append(duty)

    if isinstance(event, Shipped | InventoryTransferred | CertificatesTransferred):
        sender = "trader" if isinstance(event, CertificatesTransferred) else "supplier"
        for tid, _ in event.lines:
            class_id = split_token_id(tid)[0]
            add(sender, event.from_unit_id, class_id, False)
            add("recipient", event.to_unit_id, class_id, True)
    elif isinstance(event, Converted):
        for tid, _ in event.inputs:
            add("converter", event.unit_id, split_token_id(tid)[0], False)
        add("converter", event.unit_id, split_token_id(event.output_token_id)[0], False)
    elif isinstance(event, Claimed):
        for tid, _ in event.lines:
            add("claimant", event.unit_id, split_token_id(tid)[0], True)
    return out


def held(record: ChainRecord, duty: Duty, ref: EventRef) -> Held:
    """The certificate ``duty``'s unit held at ``ref``, as ``Consortium.custodyCertificate``
    found it then."""
    unit = record.units.get(duty.unit_id)
    party = unit.party_id if unit is not None else 0
    mine = sorted(
        (
            c
            for c in record.certificates.values()
            if c.holder_party_id == party
            and c.scheme_id == duty.scheme_id
            and (c.registered_at is None or _before(c.registered_at, ref))
        ),
        key=lambda c: c.certificate_id,
    )
    if not mine:
        return Held(None, "CustodyCertificateMissing", None)
    t = ref.timestamp

    def revoked(c: CertificateInfo) -> bool:
        if c.revoked_at is None:
            return c.revoked  # revoked with no event: when is unknown, so not trusted
        return _before(c.revoked_at, ref)

    def in_window(c: CertificateInfo) -> bool:
        return c.valid_from <= t < c.valid_until

    for c in reversed(mine):
        covers = duty.class_id in c.class_ids and duty.unit_id in c.unit_ids
        if not revoked(c) and in_window(c) and covers:
            return Held(c, None, c.revoked_at)
    latest = mine[-1]
    if revoked(latest):
        problem = "CertificateIsRevoked"
    elif not in_window(latest):
        problem = "CertificateNotValid"
    elif duty.class_id not in latest.class_ids:
        problem = "CertificateScopeClass"
    else:
        problem = "CertificateScopeUnit"
    return Held(latest, problem, None)


def who(record: ChainRecord, unit_id: int) -> str:
    """``Party (unit name)`` as a person reads it."""
    unit = record.units.get(unit_id)
    if unit is None:
        return f"unit {unit_id}"
    party = record.parties.get(unit.party_id)
    return f"{party.name if party else f'party {unit.party_id}'} ({unit.name})"


def describe(record: ChainRecord, duty: Duty, h: Held, ref: EventRef) -> tuple[bool, bool, str]:
    """``(ok, warning, detail)`` of one duty: the certificate held, an exemption, or why none."""
    info = record.classes.get(duty.class_id)
    klass = info.name if info else f"class {duty.class_id}"
    scheme = record.schemes.get(duty.scheme_id, (f"scheme {duty.scheme_id}", 0))[0]
    party = f"{duty.role} {who(record, duty.unit_id)}"
    c = h.certificate
    if h.ok and c is not None:
        detail = (
            f"{party}: {c.number} ({scheme}, {klass}), "
            f"valid {_when(c.valid_from)}..{_when(c.valid_until)}"
        )
        later = h.revoked_later
        if later is None:
            return True, False, detail
        return True, True, f"{detail}; revoked later (block {later.block_number}), not failed"
    if duty.exempt:
        return True, False, f"{party}: uncertified, a final claimant {scheme} exempts"
    number = f" {c.number}" if c is not None else ""
    return (
        False,
        False,
        (
            f"{party} held no valid {scheme} certificate for {klass} at {_when(ref.timestamp)}: "
            f"{h.problem}{number}"
        ),
    )


def declared_custody(record: ChainRecord, s: Shipped) -> list[dict[str, Any]]:
    """The chain of custody a shipment's Sustainability Declaration states, one entry per class
    of a scheme requiring it (the stricter of its mode at dispatch and now): the certificate
    the supplier and the recipient held at dispatch, or the recipient's final-claimant
    exemption. Raises ``DeclarationRefusedError`` when the supplier, or a recipient the scheme
    does not exempt, held none: no declaration can be issued for that shipment."""
    out: list[dict[str, Any]] = []
    for class_id in dict.fromkeys(split_token_id(tid)[0] for tid, _ in s.lines):
        info = record.classes.get(class_id)
        if info is None:
            continue
        changes = record.scheme_custody.get(info.scheme_id, ())
        now = changes[-1][1] if changes else Custody.none
        mode = max(record.custody_at(info.scheme_id, s.ref), now)
        if mode == Custody.none:
            continue
        scheme = record.schemes.get(info.scheme_id, (f"scheme {info.scheme_id}", 0))[0]
        entry: dict[str, Any] = {
            "class": info.name,
            "scheme": scheme,
            "scheme_id": info.scheme_id,
            "custody": mode.name,
        }
        for role, unit_id in (("supplier", s.from_unit_id), ("recipient", s.to_unit_id)):
            exempt = role == "recipient" and mode == Custody.certified_final_claimant_exempt
            duty = Duty(role, unit_id, class_id, info.scheme_id, Custody(mode), exempt)
            h = held(record, duty, s.ref)
            entry[f"{role}_certificate"] = h.certificate.number if h.ok and h.certificate else None
            if h.ok:
                continue
            if exempt:
                entry["recipient_exempt"] = True
                continue
            number = h.certificate.number if h.certificate else None
            unit = record.units.get(unit_id)
            raise DeclarationRefusedError(
                f"no Sustainability Declaration for shipment {s.shipment_id}: {scheme} requires "
                f"a certified chain of custody ({mode.name}) and the {role} "
                f"{who(record, unit_id)} held no valid {scheme} certificate for {info.name} at "
                f"dispatch {_when(s.ref.timestamp)} ({h.problem}{' ' + number if number else ''})",
                field="shipment_id",
                args={
                    "shipmentId": s.shipment_id,
                    "role": role,
                    "partyId": unit.party_id if unit else None,
                    "unitId": unit_id,
                    "classId": class_id,
                    "schemeId": info.scheme_id,
                    "reason": h.problem,
                    "certificate": number,
                },
            )
        entry.setdefault("recipient_exempt", False)
        out.append(entry)
    return out
