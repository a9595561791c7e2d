"""A pure-Python model of the ledger's rules: the oracle the contracts are tested against.

It mirrors the contracts' decisions, including the order in which checks fire, so that for any
operation both the model and the chain accept it or reject it with the same custom error. It is
written from ``shared/domain/RULES.md`` and ``contracts/src/interfaces/*.sol``, never from the
contracts' bytecode; where the two disagree, a test fails.

Every operation either applies entirely or raises :class:`Rejected` and leaves the model unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime

ROLE_ADMIN = 1
ROLE_CERTIFIER = 2
ROLE_AUDITOR = 4
ROLE_MEMBER = 8
ROLE_ORIGIN = 16

MASS_BALANCE = 0
SEGREGATED = 1
BOOK_AND_CLAIM = 2

FULL_SHARE_BPS = 10_000
#: Attribution methods (R8): the credit method and the rolling average percentage.
CREDIT_METHOD = 0
ROLLING_AVERAGE = 1
#: At most this many rolling-average classes per product group.
MAX_ROLLING_CLASSES = 4
#: The one quantity bound (grams) of every amount, physical quantity, stock and audited volume.
MAX_QUANTITY_G = 10**15
#: The bound of a class's supply (issued + converted in): balances fit a signed 64-bit integer.
MAX_CLASS_SUPPLY_G = 2**63 - 1
#: What chain of custody a scheme requires (issue 13).
CUSTODY_NONE = 0
CUSTODY_FINAL_CLAIMANT_EXEMPT = 1
CUSTODY_CERTIFIED = 2
# A certificate's status (issue 20); "expired" is the end of its window, by date, not a status.
CERT_VALID = 0
CERT_SUSPENDED = 1
CERT_WITHDRAWN = 2
CERT_TERMINATED = 3
LAPSE_WINDOW = 0
LAPSE_STOCK_CAP = 1
#: Acceptance of shipments (issue 19): per scheme, a window, and what settling after it does.
ACCEPTANCE_NONE = 0
ACCEPTANCE_REQUIRED = 1
SETTLE_ACCEPTED = 0
SETTLE_RETURNED = 1
MAX_ACCEPTANCE_WINDOW = 366 * 86_400
TRANSIT_NONE, TRANSIT_PENDING, TRANSIT_ACCEPTED, TRANSIT_REJECTED = 0, 1, 2, 3
TRANSIT_RECALLED, TRANSIT_SETTLED_ACCEPTED, TRANSIT_SETTLED_RETURNED = 4, 5, 6
#: The ledger's pseudo-unit holding credits in transit.
TRANSIT_UNIT = 2**32 - 1

ZERO32 = b"\x00" * 32


class Rejected(Exception):
    """The operation reverts with custom error ``name`` and ``args``."""

    def __init__(self, name: str, *args: object) -> None:
        super().__init__(name, *args)
        self.name = name
        self.args_ = args


def token_id(class_id: int, vintage: int, batch: int = 0) -> int:
    return (class_id << 64) | (vintage << 32) | batch


def split_token_id(tid: int) -> tuple[int, int, int]:
    return (tid >> 64) & 0xFFFFFFFF, (tid >> 32) & 0xFFFFFFFF, tid & 0xFFFFFFFF


def month_index(timestamp: int) -> int:
    when = datetime.fromtimestamp(timestamp, UTC)
    return (when.year - 1970) * 12 + when.month - 1


def period_at(period_months: int, timestamp: int) -> int:
    return month_index(timestamp) // period_months


@dataclass
class Party:
    roles: int
    active: bool = True


@dataclass
class Unit:
    party: int
    boundary: int


@dataclass
class CreditClass:
    scheme: int
    group: int
    model: int
    period_months: int
    window: int
    cap_at_stock: bool = False
    attribution: int = CREDIT_METHOD


@dataclass
class Certificate:
    holder: int
    scheme: int
    certifier: int
    valid_from: int
    valid_until: int
    audited: int
    classes: frozenset[int]
    units: frozenset[int]
    used: int = 0
    number: str = ""
    status: int = 0  # CERT_*: valid, suspended, withdrawn, terminated (issue 20)
    status_since: int = -1  # the status's effective date; valid_from until the first change

    def __post_init__(self) -> None:
        if self.status_since < 0:
            self.status_since = self.valid_from


@dataclass
class Process:
    unit: int
    input_class: int
    output_class: int
    factors: list[tuple[int, int]] = field(default_factory=list)  # (yield bps, effective from)


@dataclass
class Delivery:
    """A shipment awaiting the recipient's acceptance, or how it left transit (issue 19)."""

    state: int
    settle: int
    from_unit: int
    to_unit: int
    group: int
    deadline: int
    quantity: int
    lines: list[tuple[int, int]]


@dataclass
class Counters:
    issued: int = 0
    converted_in: int = 0
    converted_out: int = 0
    claimed: int = 0
    lapsed: int = 0

    @property
    def held(self) -> int:
        return self.issued + self.converted_in - self.converted_out - self.claimed - self.lapsed


@dataclass
class Ledger:
    """The whole state the rules decide on."""

    parties: dict[int, Party] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    signers: dict[str, tuple[int, int]] = field(default_factory=dict)
    groups: dict[int, int] = field(default_factory=dict)  # max share bps
    classes: dict[int, CreditClass] = field(default_factory=dict)
    certificates: dict[int, Certificate] = field(default_factory=dict)
    processes: dict[int, Process] = field(default_factory=dict)
    balances: dict[tuple[int, int], int] = field(default_factory=dict)  # (token id, unit)
    counters: dict[int, Counters] = field(default_factory=dict)
    evidence: set[bytes] = field(default_factory=set)
    closed: dict[tuple[int, int], int] = field(default_factory=dict)
    scope: set[tuple[int, int]] = field(default_factory=set)  # (unit, product group), R7
    custody: dict[int, int] = field(default_factory=dict)  # scheme -> CUSTODY_*
    # R8 rolling average: (unit, class, period) -> [sustainable, total] grams of input.
    intake: dict[tuple[int, int, int], list[int]] = field(default_factory=dict)
    # Issue 19: scheme -> (acceptance, window seconds, settle); shipment id -> its transit.
    acceptance: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    inputs: int = 0
    shipments: int = 0
    conversions: int = 0
    claims: int = 0

    # ---- registry (set-up and administration) ------------------------------------------------

    def suspend(self, party: int) -> None:
        if not self.parties[party].active:
            raise Rejected("PartyIsSuspended", party)
        self.parties[party].active = False

    def reinstate(self, party: int) -> None:
        self.parties[party].active = True

    def set_certificate_status(
        self, cert_id: int, sender: str, status: int, effective_at: int, reason: str, now: int
    ) -> None:
        """The issuing body states a status (issue 20): suspended comes back to valid; withdrawn
        and terminated are final; the effective date lies between the last change and now."""
        if sender not in self.signers:
            raise Rejected("SignerUnknown", sender)
        certifier = self.signers[sender][0]
        if not self.parties[certifier].active:
            raise Rejected("PartyIsSuspended", certifier)
        if self.parties[certifier].roles & ROLE_CERTIFIER == 0:
            raise Rejected("AccessRoleMissing", certifier, ROLE_CERTIFIER)
        cert = self.certificates.get(cert_id)
        if cert is None:
            raise Rejected("CertificateUnknown", cert_id)
        if cert.certifier != certifier:
            raise Rejected("CertificateNotIssuer", cert_id, certifier)
        if status > CERT_TERMINATED:
            raise Rejected("CertificateStatusUnknown", status)
        if cert.status in (CERT_WITHDRAWN, CERT_TERMINATED):
            raise Rejected("CertificateStatusFinal", cert_id, cert.status)
        if status == cert.status:
            raise Rejected("CertificateStatusUnchanged", cert_id, status)
        if not cert.status_since <= effective_at <= now:
            raise Rejected("CertificateStatusDate", cert_id, effective_at, cert.status_since, now)
        if not reason:
            raise Rejected("CertificateReasonEmpty", cert_id)
        cert.status, cert.status_since = status, effective_at

    def set_scope(self, unit: int, group: int, in_scope: bool) -> None:
        if in_scope:
            self.scope.add((unit, group))
        else:
            self.scope.discard((unit, group))

    def register_class(self, class_id: int, cls: CreditClass) -> None:
        """The catalog's checks of the attribution method (R8); other checks are not modelled."""
        if cls.attribution > ROLLING_AVERAGE:
            raise Rejected("ClassAttributionUnsupported", cls.attribution)
        if cls.attribution == ROLLING_AVERAGE:
            if cls.model != MASS_BALANCE:
                raise Rejected("ClassAttributionModel", cls.attribution, cls.model)
            if len(self.rolling_classes(cls.group)) == MAX_ROLLING_CLASSES:
                raise Rejected("ClassRollingLimit", cls.group, MAX_ROLLING_CLASSES)
        self.classes[class_id] = cls

    def register_process(self, process_id: int, process: Process) -> None:
        """A process's output group enters its unit's scope (R7)."""
        self.processes[process_id] = process
        self.scope.add((process.unit, self.classes[process.output_class].group))

    def register_certificate(self, cert_id: int, cert: Certificate) -> None:
        """A certificate's classes' groups enter the scope of its units (R7)."""
        if cert.audited > MAX_QUANTITY_G:
            raise Rejected("QuantityTooLarge", cert.audited, MAX_QUANTITY_G)
        for class_id in cert.classes:
            self._class(class_id)
        if cert.number:
            for other_id, other in self.certificates.items():
                if other.scheme == cert.scheme and other.number == cert.number:
                    raise Rejected("CertificateNumberTaken", cert.scheme, cert.number, other_id)
        self.certificates[cert_id] = cert
        self.scope |= {(u, self.classes[c].group) for c in cert.classes for u in cert.units}

    def register_factor(self, process_id: int, yield_bps: int, effective_from: int) -> int:
        proc = self.processes[process_id]
        if not 0 < yield_bps <= FULL_SHARE_BPS:
            raise Rejected("FactorOutOfRange", yield_bps)
        if proc.factors and effective_from < proc.factors[-1][1]:
            raise Rejected("FactorOutOfOrder", effective_from, proc.factors[-1][1])
        proc.factors.append((yield_bps, effective_from))
        return len(proc.factors) - 1

    # ---- operations --------------------------------------------------------------------------

    def balance(self, unit: int, tid: int) -> int:
        return self.balances.get((tid, unit), 0)

    def apply(self, op: str, *args: object, **kwargs: object) -> object:
        """Runs operation ``op`` atomically: on Rejected the state is left as it was."""
        saved = copy.deepcopy(self.__dict__)
        try:
            return getattr(self, op)(*args, **kwargs)
        except Rejected:
            self.__dict__.update(saved)
            raise

    def record_input(
        self, sender: str, class_id: int, amount: int, cert_id: int, evidence: bytes, now: int
    ) -> int:
        party, unit = self._actor(sender, ROLE_ORIGIN | ROLE_MEMBER)
        if amount == 0:
            raise Rejected("AmountZero", 0)
        _check_quantity(amount)
        if evidence == ZERO32:
            raise Rejected("InputEvidenceMissing")
        if evidence in self.evidence:
            raise Rejected("InputEvidenceReused", evidence)
        info = self._class(class_id)
        self._consume_certificate(cert_id, party, unit, class_id, info.scheme, amount, now)
        self._grow_supply(class_id, amount)
        self.evidence.add(evidence)
        self.inputs += 1
        batch = self.inputs if info.model == SEGREGATED else 0
        tid = token_id(class_id, period_at(info.period_months, now), batch)
        self._add(unit, tid, amount)
        self._counters(class_id).issued += amount
        self._add_intake(unit, info.group, class_id, amount, now)
        return tid

    def record_quantity(
        self, sender: str, group: int, quantity: int, conventional: bool = False, now: int = 0
    ) -> None:
        """Conventional input or production: quantities only; a conventional input counts in the
        total input of every rolling-average class of its group (R8)."""
        _, unit = self._actor(sender, ROLE_MEMBER)
        if quantity == 0:
            raise Rejected("QuantityZero")
        _check_quantity(quantity)
        self._group(group)
        if conventional:
            self._add_intake(unit, group, 0, quantity, now)

    def ship(
        self,
        sender: str,
        to_unit: int,
        group: int,
        quantity: int,
        document: bytes,
        lines: list[tuple[int, int]],
        now: int,
    ) -> int:
        _, from_unit = self._actor(sender, ROLE_MEMBER)
        if to_unit == from_unit:
            raise Rejected("ShipmentToSelf", from_unit)
        self._recipient(to_unit)
        if quantity == 0:
            raise Rejected("QuantityZero")
        _check_quantity(quantity)
        if document == ZERO32:
            raise Rejected("ShipmentDocumentMissing")
        cap = quantity * self._group(group) // FULL_SHARE_BPS
        if (from_unit, group) not in self.scope:
            raise Rejected("UnitProductOutOfScope", from_unit, group)
        total = self._debit(from_unit, lines, "ship", group, now, to_unit)[0]
        if total > cap:
            raise Rejected("CapExceeded", total, cap)
        self.shipments += 1
        pending = total != 0 and self._dispatch(from_unit, to_unit, group, quantity, lines, now)
        if not pending:
            self._credit(to_unit, lines)
        for class_id in self.rolling_classes(group):
            given = sum(n for t, n in lines if split_token_id(t)[0] == class_id)
            self._apply_share(from_unit, class_id, quantity, given, now)
            if not pending:
                self._grow(to_unit, class_id, given, quantity, now)
        return self.shipments

    # ---- acceptance (issue 19) -------------------------------------------------------------------

    def set_acceptance(
        self, sender: str, scheme: int, acceptance: int, window: int, settle: int
    ) -> None:
        party = self._party_actor(sender)
        if self.parties[party].roles & ROLE_ADMIN == 0:
            raise Rejected("AccessRoleMissing", party, ROLE_ADMIN)
        if scheme not in {c.scheme for c in self.classes.values()} | set(self.custody):
            raise Rejected("SchemeUnknown", scheme)
        required = acceptance == ACCEPTANCE_REQUIRED
        if (
            acceptance > ACCEPTANCE_REQUIRED
            or settle > SETTLE_RETURNED
            or (required and not 0 < window <= MAX_ACCEPTANCE_WINDOW)
            or (not required and (window != 0 or settle != 0))
        ):
            raise Rejected("AcceptanceInvalid", acceptance, window, settle)
        self.acceptance[scheme] = (acceptance, window, settle)

    def accept(self, sender: str, shipment: int, now: int) -> None:
        d = self._pending(shipment)
        unit = self._actor(sender, ROLE_MEMBER)[1]
        if unit != d.to_unit:
            raise Rejected("TransitRecipientOnly", shipment, unit)
        self._close(d, TRANSIT_ACCEPTED, now)

    def reject(self, sender: str, shipment: int, reason: str, now: int) -> None:
        d = self._pending(shipment)
        unit = self._actor(sender, ROLE_MEMBER)[1]
        if unit != d.to_unit:
            raise Rejected("TransitRecipientOnly", shipment, unit)
        if not reason:
            raise Rejected("TransitReasonMissing")
        self._close(d, TRANSIT_REJECTED, now)

    def recall(self, sender: str, shipment: int, now: int) -> None:
        d = self._pending(shipment)
        unit = self._actor(sender, ROLE_MEMBER)[1]
        if unit != d.from_unit:
            raise Rejected("TransitSenderOnly", shipment, unit)
        self._close(d, TRANSIT_RECALLED, now)

    def settle(self, shipment: int, now: int) -> None:
        d = self._pending(shipment)
        if now <= d.deadline:
            raise Rejected("TransitWindowOpen", shipment, d.deadline)
        accepted = d.settle == SETTLE_ACCEPTED
        self._close(d, TRANSIT_SETTLED_ACCEPTED if accepted else TRANSIT_SETTLED_RETURNED, now)

    def in_transit_by_class(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for d in self.deliveries.values():
            if d.state == TRANSIT_PENDING:
                for tid, amount in d.lines:
                    class_id = split_token_id(tid)[0]
                    out[class_id] = out.get(class_id, 0) + amount
        return out

    def in_transit(self, tid: int) -> int:
        return sum(
            n
            for d in self.deliveries.values()
            if d.state == TRANSIT_PENDING
            for t, n in d.lines
            if t == tid
        )

    def _dispatch(
        self,
        from_unit: int,
        to_unit: int,
        group: int,
        quantity: int,
        lines: list[tuple[int, int]],
        now: int,
    ) -> bool:
        """Whether the shipment awaits acceptance: the first line whose scheme requires it sets
        the window; inside one legal entity, never."""
        required = [
            setting
            for tid, _ in lines
            if (setting := self.acceptance.get(self.classes[split_token_id(tid)[0]].scheme))
            and setting[0] == ACCEPTANCE_REQUIRED
        ]
        if not required:
            return False
        setting = required[0]
        if self.units[from_unit].party == self.units[to_unit].party:
            return False
        self.deliveries[self.shipments] = Delivery(
            TRANSIT_PENDING, setting[2], from_unit, to_unit, group, now + setting[1], quantity,
            list(lines),
        )  # fmt: skip
        return True

    def _pending(self, shipment: int) -> Delivery:
        d = self.deliveries.get(shipment)
        if d is None:
            raise Rejected("TransitUnknown", shipment)
        if d.state != TRANSIT_PENDING:
            raise Rejected("TransitNotPending", shipment, d.state)
        return d

    def _close(self, d: Delivery, state: int, now: int) -> None:
        """A receipt: the recipient an active member, certified where the scheme requires every
        holder certified, the receipt its rolling-average input; else back to the sender."""
        receipt = state in (TRANSIT_ACCEPTED, TRANSIT_SETTLED_ACCEPTED)
        d.state = state
        if receipt:
            self._recipient(d.to_unit)
            for tid, _ in d.lines:
                class_id = split_token_id(tid)[0]
                scheme = self.classes[class_id].scheme
                if self.custody.get(scheme, CUSTODY_NONE) == CUSTODY_CERTIFIED:
                    self._custody_certificate(d.to_unit, class_id, scheme, now)
            for class_id in self.rolling_classes(d.group):
                given = sum(n for t, n in d.lines if split_token_id(t)[0] == class_id)
                self._grow(d.to_unit, class_id, given, d.quantity, now)
        self._credit(d.to_unit if receipt else d.from_unit, d.lines)

    def transfer_inventory(
        self, sender: str, to_unit: int, lines: list[tuple[int, int]], now: int
    ) -> None:
        party, from_unit = self._actor(sender, ROLE_MEMBER)
        source = self.units[from_unit]
        target = self._recipient(to_unit)
        if (
            source.boundary == 0
            or target.boundary != source.boundary
            or target.party != party
            or to_unit == from_unit
        ):
            raise Rejected("BoundaryViolation", from_unit, to_unit)
        self._debit(from_unit, lines, "transfer", 0, now, to_unit)
        self._credit(to_unit, lines)

    def transfer_certificates(
        self, sender: str, to_unit: int, lines: list[tuple[int, int]], now: int
    ) -> None:
        _, from_unit = self._actor(sender, ROLE_MEMBER)
        if to_unit == from_unit:
            raise Rejected("ShipmentToSelf", from_unit)
        self._recipient(to_unit)
        self._debit(from_unit, lines, "trade", 0, now, to_unit)
        self._credit(to_unit, lines)

    def convert(
        self, sender: str, process_id: int, version: int, lines: list[tuple[int, int]], now: int
    ) -> tuple[int, int]:
        _, unit = self._actor(sender, ROLE_MEMBER)
        in_class, out_class, yield_bps = self._factor_in_effect(process_id, version, unit, now)
        total, oldest, batch, months = self._debit(unit, lines, "convert", in_class, now)
        output = total * yield_bps // FULL_SHARE_BPS
        if output == 0:
            raise Rejected("ConversionOutputZero", total, yield_bps)
        out_info = self._class(out_class)
        if self.custody.get(out_info.scheme, CUSTODY_NONE):
            self._custody_certificate(unit, out_class, out_info.scheme, now)
        out_months = out_info.period_months
        out_tid = token_id(out_class, oldest * months // out_months, batch)
        self._grow_supply(out_class, output)
        self._add(unit, out_tid, output)
        self._add_intake(unit, out_info.group, out_class, output, now)
        self._counters(in_class).converted_out += total
        self._counters(out_class).converted_in += output
        self.conversions += 1
        return out_tid, output

    def claim(self, sender: str, lines: list[tuple[int, int]], beneficiary: str, now: int) -> int:
        _, unit = self._actor(sender, ROLE_MEMBER)
        if not beneficiary:
            raise Rejected("ClaimBeneficiaryMissing")
        self._debit(unit, lines, "claim", 0, now)
        for tid, amount in lines:
            self._counters(split_token_id(tid)[0]).claimed += amount
        self.claims += 1
        return self.claims

    def claim_rolling(
        self,
        sender: str,
        class_id: int,
        quantity: int,
        lines: list[tuple[int, int]],
        beneficiary: str,
        now: int,
    ) -> int:
        """A claim of rolling-average credits for ``quantity`` grams of product (R8)."""
        _, unit = self._actor(sender, ROLE_MEMBER)
        if not beneficiary:
            raise Rejected("ClaimBeneficiaryMissing")
        if self._class(class_id).attribution != ROLLING_AVERAGE:
            raise Rejected("RollingClassRequired", class_id)
        if quantity == 0:
            raise Rejected("QuantityZero")
        _check_quantity(quantity)
        given = self._debit(unit, lines, "claim", class_id, now)[0]
        for tid, amount in lines:
            self._counters(split_token_id(tid)[0]).claimed += amount
        self.claims += 1
        self._apply_share(unit, class_id, quantity, given, now)
        return self.claims

    def lapse(self, unit: int, tids: list[int], now: int) -> int:
        if unit == TRANSIT_UNIT:
            raise Rejected("CreditsNone", unit, tids[0] if tids else 0)
        lapsed = 0
        for tid in tids:
            class_id, vintage, _ = split_token_id(tid)
            info = self._class(class_id)
            current = period_at(info.period_months, now)
            lapses_at = vintage + info.window
            if current < lapses_at:
                raise Rejected("CreditsNotLapsed", tid, lapses_at)
            amount = self.balance(unit, tid)
            if amount == 0:
                raise Rejected("CreditsNone", unit, tid)
            self._burn_lapsed(unit, tid, amount)
            lapsed += amount
        return lapsed

    def close_period(self, sender: str, class_id: int, physical_stock: int, now: int) -> int:
        _, unit = self._actor(sender, ROLE_MEMBER)
        _check_quantity(physical_stock)
        info = self._class(class_id)
        if info.model != MASS_BALANCE:
            raise Rejected("PeriodCloseModel", class_id, info.model)
        current = period_at(info.period_months, now)
        if current == 0:
            raise Rejected("PeriodNoneEnded", class_id)
        period = current - 1
        if self.closed.get((unit, class_id), 0) > period:
            raise Rejected("PeriodAlreadyClosed", unit, class_id, period)
        self.closed[(unit, class_id)] = current
        first = current - info.window + 1 if current >= info.window else 0
        vintages = range(first, period + 1)
        book = sum(self.balance(unit, token_id(class_id, v)) for v in vintages)
        lapsed = 0
        if info.cap_at_stock and book > physical_stock:
            excess = book - physical_stock
            for v in vintages:
                tid = token_id(class_id, v)
                amount = min(self.balance(unit, tid), excess)
                if amount:
                    self._burn_lapsed(unit, tid, amount)
                excess -= amount
                lapsed += amount
        return lapsed

    # ---- views -----------------------------------------------------------------------------

    def rolling_classes(self, group: int) -> list[int]:
        """The group's rolling-average classes in registration (id) order."""
        return sorted(
            c
            for c, i in self.classes.items()
            if i.group == group and i.attribution == ROLLING_AVERAGE
        )

    def rolling_share(self, unit: int, class_id: int, now: int) -> tuple[int, int, int, int]:
        """(period, share bps, window sustainable, window total) of a unit's rolling class now."""
        info = self._class(class_id)
        if info.attribution != ROLLING_AVERAGE:
            raise Rejected("RollingClassRequired", class_id)
        period = period_at(info.period_months, now)
        sustainable = total = 0
        for p in range(max(0, period - info.window + 1), period + 1):
            s, t = self.intake.get((unit, class_id, p), (0, 0))
            sustainable, total = sustainable + s, total + t
        share = sustainable * FULL_SHARE_BPS // total if total else 0
        return period, share, sustainable, total

    def held_by_class(self) -> dict[int, int]:
        held: dict[int, int] = {}
        for (tid, _), amount in self.balances.items():
            class_id = split_token_id(tid)[0]
            held[class_id] = held.get(class_id, 0) + amount
        return held

    # ---- internals ---------------------------------------------------------------------------

    def _actor(self, sender: str, role: int) -> tuple[int, int]:
        if sender not in self.signers:
            raise Rejected("SignerUnknown", sender)
        party_id, unit = self.signers[sender]
        party = self.parties[party_id]
        if not party.active:
            raise Rejected("PartyIsSuspended", party_id)
        if unit == 0:
            raise Rejected("LedgerUnitRequired", sender)
        missing = role & ~party.roles
        if missing:
            raise Rejected("AccessRoleMissing", party_id, missing)
        return party_id, unit

    def _party_actor(self, sender: str) -> int:
        """A party-level or unit signer of an active party (the admin's writes)."""
        if sender not in self.signers:
            raise Rejected("SignerUnknown", sender)
        party_id = self.signers[sender][0]
        if not self.parties[party_id].active:
            raise Rejected("PartyIsSuspended", party_id)
        return party_id

    def _recipient(self, unit_id: int) -> Unit:
        if unit_id not in self.units:
            raise Rejected("UnitUnknown", unit_id)
        unit = self.units[unit_id]
        party = self.parties[unit.party]
        if not party.active:
            raise Rejected("PartyIsSuspended", unit.party)
        if party.roles & ROLE_MEMBER == 0:
            raise Rejected("AccessRoleMissing", unit.party, ROLE_MEMBER)
        return unit

    def _class(self, class_id: int) -> CreditClass:
        if class_id not in self.classes:
            raise Rejected("ClassUnknown", class_id)
        return self.classes[class_id]

    def _group(self, group: int) -> int:
        if group not in self.groups:
            raise Rejected("ProductGroupUnknown", group)
        return self.groups[group]

    def _counters(self, class_id: int) -> Counters:
        return self.counters.setdefault(class_id, Counters())

    def _grow_supply(self, class_id: int, amount: int) -> None:
        c = self._counters(class_id)
        supply = c.issued + c.converted_in + amount
        if supply > MAX_CLASS_SUPPLY_G:
            raise Rejected("SupplyCapExceeded", class_id, supply, MAX_CLASS_SUPPLY_G)

    def _custody_certificate(self, unit: int, class_id: int, scheme: int, now: int) -> int:
        """The latest valid certificate covering class and unit of the unit's party (issue 13)."""
        party = self.units[unit].party
        ids = sorted(
            i for i, c in self.certificates.items() if c.holder == party and c.scheme == scheme
        )
        if not ids:
            raise Rejected("CustodyCertificateMissing", unit, class_id, scheme)
        for cert_id in reversed(ids):
            c = self.certificates[cert_id]
            valid = c.status == CERT_VALID and c.valid_from <= now < c.valid_until
            if valid and class_id in c.classes and unit in c.units:
                return cert_id
        latest, c = ids[-1], self.certificates[ids[-1]]
        if c.status != CERT_VALID:
            raise Rejected("CertificateNotInForce", latest, c.status, c.status_since)
        if not c.valid_from <= now < c.valid_until:
            raise Rejected("CertificateNotValid", latest, now, c.valid_from, c.valid_until)
        if class_id not in c.classes:
            raise Rejected("CertificateScopeClass", latest, class_id)
        raise Rejected("CertificateScopeUnit", latest, unit)

    def _consume_certificate(
        self, cert_id: int, party: int, unit: int, class_id: int, scheme: int, amount: int, now: int
    ) -> None:
        cert = self.certificates.get(cert_id)
        if cert is None:
            raise Rejected("CertificateUnknown", cert_id)
        if cert.status != CERT_VALID:
            raise Rejected("CertificateNotInForce", cert_id, cert.status, cert.status_since)
        if not cert.valid_from <= now < cert.valid_until:
            raise Rejected("CertificateNotValid", cert_id, now, cert.valid_from, cert.valid_until)
        if cert.holder != party:
            raise Rejected("CertificateHolderMismatch", cert_id, party)
        if cert.scheme != scheme:
            raise Rejected("CertificateSchemeMismatch", cert_id, scheme)
        if class_id not in cert.classes:
            raise Rejected("CertificateScopeClass", cert_id, class_id)
        if unit not in cert.units:
            raise Rejected("CertificateScopeUnit", cert_id, unit)
        if cert.audited:
            remaining = cert.audited - cert.used
            if amount > remaining:
                raise Rejected("CertificateVolumeExceeded", cert_id, amount, remaining)
            cert.used += amount

    def _factor_in_effect(
        self, process_id: int, version: int, unit: int, now: int
    ) -> tuple[int, int, int]:
        proc = self.processes.get(process_id)
        if proc is None:
            raise Rejected("ProcessUnknown", process_id)
        if proc.unit != unit:
            raise Rejected("ProcessSiteMismatch", process_id, unit)
        if version >= len(proc.factors):
            raise Rejected("FactorUnknown", process_id, version)
        yield_bps, effective_from = proc.factors[version]
        if effective_from > now:
            raise Rejected("FactorNotEffective", process_id, version, effective_from)
        if version + 1 < len(proc.factors) and proc.factors[version + 1][1] <= now:
            raise Rejected("FactorSuperseded", process_id, version, version + 1)
        return proc.input_class, proc.output_class, yield_bps

    def _debit(
        self,
        unit: int,
        lines: list[tuple[int, int]],
        use: str,
        expected: int,
        now: int,
        to_unit: int = 0,
    ) -> tuple[int, int, int, int]:
        if not lines and use != "ship":
            raise Rejected("LinesInvalid", 0, 0)
        total, oldest, batch, months = 0, 2**32 - 1, 0, 0
        segregated = False
        first = lines[0][0] if lines else 0
        for i, (tid, amount) in enumerate(lines):
            if amount == 0:
                raise Rejected("AmountZero", i)
            _check_quantity(amount)
            class_id, vintage, line_batch = split_token_id(tid)
            info = self._class(class_id)
            current = period_at(info.period_months, now)
            if (
                use == "claim"
                and info.model != BOOK_AND_CLAIM
                and (unit, info.group) not in self.scope
            ):
                raise Rejected("UnitProductOutOfScope", unit, info.group)
            custody = self.custody.get(info.scheme, CUSTODY_NONE)
            if custody != CUSTODY_NONE:
                exempt = custody == CUSTODY_FINAL_CLAIMANT_EXEMPT
                if use != "claim" or not exempt:
                    self._custody_certificate(unit, class_id, info.scheme, now)
                if to_unit and not exempt:
                    self._custody_certificate(to_unit, class_id, info.scheme, now)
            if use == "ship":
                if info.model == BOOK_AND_CLAIM:
                    raise Rejected("ModelNotShippable", tid)
                if info.group != expected:
                    raise Rejected("ShipmentProductGroupMismatch", tid, expected)
            elif use == "trade":
                if info.model != BOOK_AND_CLAIM:
                    raise Rejected("ModelNotTradable", tid)
            elif use == "convert" and class_id != expected:
                raise Rejected("ConversionInputMismatch", tid, expected)
            elif use == "claim":
                if not expected and info.attribution == ROLLING_AVERAGE:
                    raise Rejected("RollingQuantityRequired", tid)
                if expected and class_id != expected:
                    raise Rejected("RollingClassMismatch", tid, expected)
            segregated = segregated or info.model == SEGREGATED
            if segregated and use != "claim" and tid != first:
                raise Rejected("SegregationViolated", tid)
            if vintage + info.window <= current:
                raise Rejected("CreditsLapsed", tid, vintage, current)
            held = self.balance(unit, tid)
            if held < amount:
                raise Rejected("CreditsInsufficient", unit, tid, held, amount)
            self.balances[(tid, unit)] = held - amount
            total += amount
            oldest = min(oldest, vintage)
            batch = line_batch
            months = info.period_months
        return total, oldest, batch, months

    def _add_intake(self, unit: int, group: int, class_id: int, total: int, now: int) -> None:
        for rolling in self.rolling_classes(group):
            self._grow(unit, rolling, total if rolling == class_id else 0, total, now)

    def _grow(self, unit: int, class_id: int, sustainable: int, total: int, now: int) -> None:
        key = (unit, class_id, period_at(self.classes[class_id].period_months, now))
        entry = self.intake.setdefault(key, [0, 0])
        entry[0] += sustainable
        entry[1] += total

    def _apply_share(self, unit: int, class_id: int, quantity: int, given: int, now: int) -> None:
        share = self.rolling_share(unit, class_id, now)[1]
        expected = quantity * share // FULL_SHARE_BPS
        if given != expected:
            raise Rejected("RollingShareMismatch", class_id, expected, given, share)

    def _credit(self, unit: int, lines: list[tuple[int, int]]) -> None:
        for tid, amount in lines:
            self._add(unit, tid, amount)

    def _add(self, unit: int, tid: int, amount: int) -> None:
        self.balances[(tid, unit)] = self.balance(unit, tid) + amount

    def _burn_lapsed(self, unit: int, tid: int, amount: int) -> None:
        self.balances[(tid, unit)] -= amount
        self._counters(split_token_id(tid)[0]).lapsed += amount


def _check_quantity(value: int) -> None:
    if value > MAX_QUANTITY_G:
        raise Rejected("QuantityTooLarge", value, MAX_QUANTITY_G)
