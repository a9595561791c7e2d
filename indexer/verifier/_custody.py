"""The certified chain of custody (issue 13) read back from a ``ChainRecord``, as the ledger
decided it: which parties had to hold a certificate at a step, and the certificate each held.

It mirrors the contracts exactly. ``Ledger._lineClass``/``_checkCustody``: under a scheme whose
custody mode (``contracts.Custody``, from ``SchemeCustodySet`` as it stood at the step) is not
``none``, every line class of a shipment, inventory transfer, certificate trade and conversion
input needs the acting unit's certificate, and so does a conversion's output class; the
receiving unit of a shipment or transfer, and a claimant, need one under ``certified`` only
(``certified_final_claimant_exempt`` lets them be uncertified). ``Consortium.custodyCertificate``:
of the unit's party's certificates of the scheme, registered before the step, the latest that is
in force (no suspension, withdrawal or termination recorded before the step), valid at the
step's block time (``[valid_from, valid_until)``) and whose scope covers the class and the unit;
when there is none, the latest certificate names why, with the ledger's own error names
(``CustodyCertificateMissing``, ``CertificateNotInForce``, ``CertificateNotValid``,
``CertificateScopeClass``, ``CertificateScopeUnit``). A certificate
suspended, withdrawn or terminated after the step held then: ``Held.stated_later`` says so.

ONE judgement (``judge``: each step's ``duties``, the certificate ``held``, ``judged`` in words)
serves both readers, so they never disagree: the verifier's ``custody-certificate`` check and
the Sustainability Declaration (``declared_custody``: the certificate each party held at
dispatch). A party that held none where the scheme required one at the step fails the check and
gets no declaration (``DeclarationRefusedError``); where the scheme required none then (or
exempted a final claimant) but requires it now, the step holds with a warning naming the step,
the party and why — the ledger accepted it — and the declaration is issued with that note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracenet.contracts import Custody, split_token_id
from tracenet.contracts import records as R
from tracenet.indexer.errors import DeclarationRefusedError
from tracenet.indexer.lineage._lineage import LedgerEvent
from tracenet.indexer.mirror._decode import Event, EventRef
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._record import StatusChange
from tracenet.kit import iso_time as _when

__all__ = [
    "Duty",
    "Held",
    "Judgement",
    "custody_now",
    "custody_words",
    "declared_custody",
    "duties",
    "held",
    "judge",
    "judged",
    "who",
]


def _before(a: EventRef, b: EventRef) -> bool:
    return (a.block_number, a.log_index) < (b.block_number, b.log_index)


def _registered_before(record: ChainRecord, certificate_id: int, ref: EventRef) -> bool:
    at = record.certificate_registered_at.get(certificate_id)
    return at is None or _before(at, ref)


@dataclass(frozen=True)
class Duty:
    """One party's custody duty at one step: ``role`` is supplier, recipient, converter,
    trader or claimant; ``mode`` the scheme's custody mode at the step (what the ledger
    enforced), ``now`` its mode at the record's head; ``exempt`` when the mode at the step lets
    this recipient or claimant (``receiving``) be uncertified (a final claimant)."""

    role: str
    unit_id: int
    class_id: int
    scheme_id: int
    mode: Custody
    exempt: bool
    receiving: bool = False
    now: Custody = Custody.none

    @property
    def required(self) -> bool:
        """The ledger required this party's certificate at the step."""
        return self.mode != Custody.none and not self.exempt

    @property
    def required_now(self) -> bool:
        """The scheme requires it today: the same step now would need the certificate."""
        exempt = self.receiving and self.now == Custody.certified_final_claimant_exempt
        return self.now != Custody.none and not exempt


@dataclass(frozen=True)
class Held:
    """The certificate a unit held for a class at a step, or why it held none."""

    #: the valid certificate, or the latest one the problem is about
    certificate: R.CertificateRegistered | None
    problem: str | None  # the ledger's error name when none was valid
    stated_later: StatusChange | None  # the valid certificate's suspension etc., after the step

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Judgement:
    """One duty judged: ``ok`` False fails the verifier's ``custody-certificate`` check and
    refuses the Sustainability Declaration; ``warning`` holds but tells a person (a certificate
    suspended, withdrawn or terminated after the step; a party uncertified at a step made before
    its scheme required custody); ``detail`` says it in words (role, party, unit, certificate or
    why none)."""

    duty: Duty
    held: Held
    ok: bool
    warning: bool
    detail: str


def custody_now(record: ChainRecord, scheme_id: int) -> Custody:
    """The custody mode scheme ``scheme_id`` requires at the record's head."""
    changes = record.scheme_custody.get(scheme_id, ())
    return changes[-1][1] if changes else Custody.none


def duties(record: ChainRecord, event: LedgerEvent) -> list[Duty]:
    """Who had to be certified for what at ``event``, under a scheme that required a certified
    chain of custody then or requires one now (empty outside custody schemes)."""
    out: list[Duty] = []
    ref, e = event

    def add(role: str, unit_id: int, class_id: int, receiving: bool) -> None:
        info = record.classes.get(class_id)
        if info is None:
            return
        mode = record.custody_at(info.scheme_id, ref)
        now = custody_now(record, info.scheme_id)
        if mode == Custody.none and now == Custody.none:
            return
        exempt = receiving and mode == Custody.certified_final_claimant_exempt
        duty = Duty(role, unit_id, class_id, info.scheme_id, mode, exempt, receiving, now)
        if duty not in out:
            out.append(duty)

    if isinstance(e, R.Shipped | R.InventoryTransferred | R.CertificatesTransferred):
        sender = "trader" if isinstance(e, R.CertificatesTransferred) else "supplier"
        for tid in e.token_ids:
            class_id = split_token_id(tid)[0]
            add(sender, e.from_unit_id, class_id, False)
            add("recipient", e.to_unit_id, class_id, True)
    elif isinstance(e, R.Converted):
        for tid in e.input_token_ids:
            add("converter", e.unit_id, split_token_id(tid)[0], False)
        add("converter", e.unit_id, split_token_id(e.output_token_id)[0], False)
    elif isinstance(e, R.Claimed):
        for tid in e.token_ids:
            add("claimant", e.unit_id, split_token_id(tid)[0], True)
    return out


def judge(record: ChainRecord, event: LedgerEvent) -> list[Judgement]:
    """Every custody duty of ``event`` judged — the ONE judgement ``tracenet verify`` (check
    ``custody-certificate``) and the Sustainability Declaration both use."""
    return [judged(record, d, held(record, d, event.ref), event.ref) for d in duties(record, event)]


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
            and _registered_before(record, c.certificate_id, ref)
        ),
        key=lambda c: c.certificate_id,
    )
    if not mine:
        return Held(None, "CustodyCertificateMissing", None)
    t = ref.timestamp

    def out_of_force(c: R.CertificateRegistered) -> bool:
        return record.out_of_force_at(c.certificate_id, ref) is not None

    def in_window(c: R.CertificateRegistered) -> bool:
        return c.valid_from <= t < c.valid_until

    for c in reversed(mine):
        covers = duty.class_id in c.class_ids and duty.unit_id in c.unit_ids
        if not out_of_force(c) and in_window(c) and covers:
            return Held(c, None, record.stated_later(c.certificate_id, ref))
    latest = mine[-1]
    if out_of_force(latest):
        problem = "CertificateNotInForce"
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


_WORDS = {
    Custody.certified: "every holder certified",
    Custody.certified_final_claimant_exempt: "every holder certified except a final claimant",
}


def custody_words(mode: Custody) -> str:
    """A custody mode as a person reads it."""
    return _WORDS.get(mode, "no certified chain of custody")


def judged(record: ChainRecord, duty: Duty, h: Held, ref: EventRef) -> Judgement:
    """One duty judged from the certificate held: the one held, an exemption, an uncertified
    party at a step made before the scheme required custody (a warning), or why none (fails)."""
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
        later = h.stated_later
        if later is None or later.ref is None:
            return Judgement(duty, h, True, False, detail)
        detail += f"; {later.words()}, recorded later (block {later.ref.block_number}), not failed"
        return Judgement(duty, h, True, True, detail)
    number = f" {c.number}" if c is not None else ""
    none = f"{party} held no valid {scheme} certificate for {klass} at {_when(ref.timestamp)}"
    if duty.required:
        return Judgement(duty, h, False, False, f"{none}: {h.problem}{number}")
    if not duty.required_now:  # an uncertified recipient or claimant the scheme exempts
        return Judgement(
            duty, h, True, False, f"{party}: uncertified, a final claimant {scheme} exempts"
        )
    then = (
        "exempted it as a final claimant"
        if duty.exempt
        else "required no certified chain of custody"
    )
    detail = (
        f"uncertified step: the {none} ({h.problem}{number}); {scheme} {then} then and "
        f"requires {custody_words(duty.now)} now"
    )
    return Judgement(duty, h, True, True, detail)


def declared_custody(record: ChainRecord, shipped: Event[R.Shipped]) -> list[dict[str, Any]]:
    """The chain of custody a shipment's Sustainability Declaration states, one entry per class
    of a scheme requiring it at dispatch or now, from ``judge`` (the verifier's judgement): the
    certificate the supplier and the recipient held at dispatch, the recipient's final-claimant
    exemption, and ``notes`` naming a party uncertified at a dispatch made before the scheme
    required custody. Raises ``DeclarationRefusedError`` when the supplier, or a recipient the
    scheme did not exempt, held none although the scheme required it at dispatch (what the
    verifier fails): no declaration can be issued for that shipment."""
    entries: dict[int, dict[str, Any]] = {}
    ref, s = shipped
    for j in judge(record, shipped):
        d = j.duty
        info = record.classes[d.class_id]  # duties name known classes only
        scheme = record.schemes.get(d.scheme_id, (f"scheme {d.scheme_id}", 0))[0]
        entry = entries.setdefault(
            d.class_id,
            {
                "class": info.name,
                "scheme": scheme,
                "scheme_id": d.scheme_id,
                "custody": d.mode.name,
                "custody_now": d.now.name,
                "supplier_certificate": None,
                "recipient_certificate": None,
                "recipient_exempt": False,
                "notes": [],
            },
        )
        h = j.held
        if h.ok and h.certificate is not None:
            entry[f"{d.role}_certificate"] = h.certificate.number
        elif d.role == "recipient" and j.ok:
            entry["recipient_exempt"] = d.exempt or not d.required_now
        if j.warning and not h.ok:
            entry["notes"].append(j.detail)
        if j.ok:
            continue
        number = h.certificate.number if h.certificate else None
        unit = record.units.get(d.unit_id)
        raise DeclarationRefusedError(
            f"no Sustainability Declaration for shipment {s.shipment_id}: {scheme} required "
            f"a certified chain of custody ({d.mode.name}) at dispatch and the {d.role} "
            f"{who(record, d.unit_id)} held no valid {scheme} certificate for {info.name} at "
            f"dispatch {_when(ref.timestamp)} ({h.problem}{' ' + number if number else ''})",
            field="shipment_id",
            args={
                "shipment_id": s.shipment_id,
                "role": d.role,
                "party_id": unit.party_id if unit else None,
                "unit_id": d.unit_id,
                "class_id": d.class_id,
                "scheme_id": d.scheme_id,
                "reason": h.problem,
                "certificate": number,
            },
        )
    return list(entries.values())
