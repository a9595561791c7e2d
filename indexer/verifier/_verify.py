"""Verifying a claim or a shipment from the chain's record alone: pure checks over a ChainRecord.

The contracts enforce every rule when an operation runs; the verifier re-checks them along the
target's lineage from the events and views, so a buyer needs nothing but a JSON-RPC endpoint and
the deployment record. Each check names its rule (R1–R9) and the lineage node it is about.

Checks (``Check.code``):

* ``deployment-wiring`` — the three contracts point at each other as the record says.
* ``records-complete`` (R9) — the ledger's counters match the events read: ids 1..n, no gaps.
* ``target-exists`` — exactly one event for the claim or shipment id (none is no verdict at all:
  ``NotFoundError``). A conventional delivery (no credit lines) is a shipment with nothing
  upstream: it holds on its own checks (cap, group, rolling share; no class, so no custody duty).
* ``retired-once`` (claims) — the claim id is used once, and per class the claimed grams in the
  events equal the ledger's ``claimed`` counter (no credit retired twice).
* ``conservation`` (R1) — every gram on the path is backed by recorded inflows.
* ``certificate-*`` (R3) — for each origin input: the certificate exists, its holder is the
  unit's party, its scheme is the class's, its scope covers class and unit, the input falls in
  its validity window, and it was in force at the input (``certificate-in-force``: no
  suspension, withdrawal or termination recorded before it, issue 20). A status is judged as the
  ledger judged it, by the block of its ``CertificateStatusChanged`` event: one recorded *after*
  the input does not invalidate it, even when its effective date is earlier (the check holds
  with a warning naming the status, its effective date and reason).
* ``evidence-unique`` (R3) — the input's evidence hash created credits once only.
* ``segregation`` (R8) — segregated credits keep the batch of their input.
* ``conversion-*`` (R5) — the process runs at the converting unit; the factor version was the
  one in effect at the conversion's block time (not yet superseded) and its yield is the one
  recorded; input and output classes fit the process; output = input × yield, rounded down.
* ``shipment-cap`` (R6) — credits ≤ quantity × the product group's maximum share, and ≤ 100 %;
  ``shipment-group`` (R5/R7) — every line is of the shipment's product group, none book-and-claim.
* ``window`` (R4) — no line moved after its allocation window (vintage + window periods).
* ``boundary`` (R7) — inventory transfers stay inside one multi-site boundary of one party.
* ``custody-certificate`` (R2, issue 13) — under a scheme requiring a certified chain of custody
  (its mode at that block), at every shipment, transfer, trade, conversion and claim, the acting
  and receiving parties held a certificate of the scheme valid then, covering the class and the
  unit (``indexer.verifier._custody`` mirrors the ledger, final-claimant exemption included).
  The detail names the party, its unit and the certificate, or the ledger's reason for none.
  A step made before its scheme required custody (or while it exempted a final claimant) whose
  party held none holds with a warning ("uncertified step: …"), since the scheme requires it
  now. It is ``_custody.judge``, the judgement the Sustainability Declaration uses too.
* ``rolling-share`` (R8, issue 10) — for each rolling-average class a shipment or claim had to
  carry, the share recomputed from the unit's recorded inputs over the class's window equals the
  one the ledger stated (``RollingShareApplied``), and the credits carried are exactly
  floor(share × quantity / 10 000) (``indexer.verifier._rolling``).
* ``acceptance`` (issue 19) — a shipment of a scheme that needs the recipient's acceptance
  says where it stands: accepted (or settled as accepted) on a day holds; awaiting acceptance,
  rejected with its reason, recalled or returned holds with a warning (its credits are not the
  recipient's).

A certificate suspended, withdrawn or terminated *after* the step it covers, and an uncertified
step made before its scheme required custody, are reported, not failed: the check holds with
``warning`` set (``Verdict.warnings``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tracenet.contracts import Model, TransitState, period_at, split_token_id
from tracenet.contracts import records as R
from tracenet.indexer.errors import NotFoundError
from tracenet.indexer.lineage._lineage import Lineage, lines, node_key, trace_claim, trace_shipment
from tracenet.indexer.mirror._decode import EventRef
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._custody import judge
from tracenet.indexer.verifier._rolling import rolling_shares
from tracenet.kit import iso_time as _when

__all__ = ["Check", "Verdict", "verify"]

FULL_SHARE_BPS = 10_000


@dataclass(frozen=True)
class Check:
    """One rule checked on one subject (``"ledger"`` or a lineage node key)."""

    code: str
    rule: str
    subject: str
    ok: bool
    detail: str
    warning: bool = False  # holds, but a person should know (a certificate suspended later)


@dataclass(frozen=True)
class Verdict:
    kind: str  # "claim" or "shipment"
    target_id: int
    checks: tuple[Check, ...]
    lineage: Lineage

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.ok and c.warning)


def verify(record: ChainRecord, kind: str, target_id: int) -> Verdict:
    """Every check along the lineage of claim or shipment ``target_id``; ``NotFoundError``
    (``ClaimUnknown``, ``ShipmentUnknown``) when the chain holds no such claim or shipment —
    nothing to check, so no verdict (the CLI's one line, the API's 404)."""
    key = f"{kind}:{target_id}"
    found = [e for e in record.events if isinstance(e.record, _TARGETS) and node_key(e) == key]
    checks = _Checks(record)
    checks.ledger(kind)
    if not found:
        wiring = next(c for c in checks.out if c.code == "deployment-wiring")
        why = "" if wiring.ok else f" (and the deployment record does not fit it: {wiring.detail})"
        raise NotFoundError(
            f"no {kind} {target_id} on this chain{why}",
            field=f"{kind}_id",
            error="ClaimUnknown" if kind == "claim" else "ShipmentUnknown",
            args={f"{kind}Id": target_id},
        )
    checks.add("target-exists", "R9", key, len(found) == 1, f"{len(found)} event(s) for {key}")
    trace = trace_claim if kind == "claim" else trace_shipment
    lineage = trace(record.events, target_id)
    checks.add(
        "conservation",
        "R1",
        key,
        lineage.unexplained == 0,
        f"{lineage.unexplained} g of {lineage.target.grams} g backed by no recorded inflow",
    )
    inputs = [e.record for e in record.events if isinstance(e.record, R.InputRecorded)]
    evidence = Counter(e.evidence_hash for e in inputs)
    for node in lineage.nodes:
        if node.event is None:
            continue
        ref, e = node.event
        if isinstance(e, R.InputRecorded):
            checks.origin(node.key, ref, e, evidence[e.evidence_hash])
        elif isinstance(e, R.Converted):
            checks.conversion(node.key, ref, e)
        if isinstance(e, R.Shipped):
            checks.shipment(node.key, e)
        if isinstance(e, R.InventoryTransferred):
            checks.boundary(node.key, e)
        if isinstance(e, R.Shipped | R.Claimed):
            for share in rolling_shares(record, node.event):
                name = getattr(record.classes.get(share.class_id), "name", share.class_id)
                checks.add("rolling-share", "R8", node.key, share.ok, share.detail(f"{name}"))
        if isinstance(e, _MOVES):
            checks.window(node.key, ref, lines(e))
        for j in judge(record, node.event):  # the judgement the SD uses (``_custody``)
            checks.add("custody-certificate", "R2", node.key, j.ok, j.detail, j.warning)
        if isinstance(e, R.Shipped) and (said := acceptance(record, e.shipment_id)):
            # Issue 19: a shipment not (yet) accepted holds with a warning saying so.
            checks.add("acceptance", "R9", node.key, True, said[1], not said[0])
    return Verdict(kind, target_id, checks.done(), lineage)


def acceptance(record: ChainRecord, shipment_id: int) -> tuple[bool, str] | None:
    """Issue 19: (accepted, the state in people's words) of a shipment that awaited its
    recipient's acceptance; ``None`` for one that needed none."""
    opened: R.TransitOpened | None = None
    closed: tuple[EventRef, R.TransitClosed] | None = None
    for ref, r in record.events:
        if isinstance(r, R.TransitOpened) and r.shipment_id == shipment_id:
            opened = r
        elif isinstance(r, R.TransitClosed) and r.shipment_id == shipment_id:
            closed = ref, r
    if opened is None:
        return None
    if closed is None:
        return False, f"awaiting the recipient's acceptance until {_when(opened.deadline)}"
    state, reason = TransitState(closed[1].state), closed[1].reason
    day = _when(closed[0].timestamp)[:10]
    said = {
        TransitState.accepted: f"accepted by the recipient on {day}",
        TransitState.rejected: f"rejected on {day}: {reason} (the credits went back to the sender)",
        TransitState.recalled: f"recalled by the sender on {day}",
        TransitState.settled_accepted: f"settled as accepted on {day}, after the window",
        TransitState.settled_returned: f"settled on {day} after the window: returned to the sender",
    }[state]
    return state.received, said


_TARGETS = (R.Shipped, R.Claimed)
#: Events that move credits out of a unit: the allocation window applies to what they move.
_MOVES = (R.Shipped, R.InventoryTransferred, R.CertificatesTransferred, R.Claimed, R.Converted)


class _Checks:
    def __init__(self, record: ChainRecord) -> None:
        self.record = record
        self.out: list[Check] = []

    def add(
        self, code: str, rule: str, subject: str, ok: bool, detail: str, warning: bool = False
    ) -> None:
        self.out.append(Check(code, rule, subject, ok, detail, warning))

    def done(self) -> tuple[Check, ...]:
        return tuple(self.out)

    def ledger(self, kind: str) -> None:
        r = self.record
        expected = {
            "Consortium.ledger": r.addresses.get("Ledger"),
            "Ledger.consortium": r.addresses.get("Consortium"),
            "Ledger.catalog": r.addresses.get("Catalog"),
            "Catalog.consortium": r.addresses.get("Consortium"),
        }
        wrong = [k for k, v in expected.items() if r.wiring.get(k) != v]
        detail = "contracts point at each other" if not wrong else "mismatch: " + ", ".join(wrong)
        self.add("deployment-wiring", "-", "ledger", not wrong, detail)
        ids: dict[str, list[int]] = {"inputs": [], "shipments": [], "conversions": [], "claims": []}
        for _, e in r.events:
            if isinstance(e, R.InputRecorded):
                ids["inputs"].append(e.input_id)
            elif isinstance(e, R.Shipped):
                ids["shipments"].append(e.shipment_id)
            elif isinstance(e, R.Converted):
                ids["conversions"].append(e.conversion_id)
            elif isinstance(e, R.Claimed):
                ids["claims"].append(e.claim_id)
        bad = [
            f"{name}: counter {count}, events {len(ids[name])}"
            for name, count in zip(ids, r.counts, strict=True)
            if ids[name] != list(range(1, count + 1))
        ]
        counted = ", ".join(
            f"{count} {name if count != 1 else name[:-1]}"
            for name, count in zip(ids, r.counts, strict=True)
        )
        self.add("records-complete", "R9", "ledger", not bad, "; ".join(bad) or counted)
        if kind == "claim":
            claimed: Counter[int] = Counter()
            for _, e in r.events:
                if isinstance(e, R.Claimed):
                    for tid, amount in lines(e):
                        claimed[split_token_id(tid)[0]] += amount
            off = [
                f"class {c}: events {claimed[c]} g, counter {r.claimed.get(c, 0)} g"
                for c in sorted(set(claimed) | set(r.claimed))
                if claimed[c] != r.claimed.get(c, 0)
            ]
            dup = sorted(i for i, n in Counter(ids["claims"]).items() if n > 1)
            detail = "; ".join(off + [f"claim id {i} used twice" for i in dup])
            self.add("retired-once", "R1", "ledger", not (off or dup), detail or "claimed once")

    def origin(self, key: str, ref: EventRef, e: R.InputRecorded, uses: int) -> None:
        r = self.record
        cert = r.certificates.get(e.certificate_id)
        class_id, _, batch = split_token_id(e.token_id)
        info, unit = r.classes.get(class_id), r.units.get(e.unit_id)
        self.add("evidence-unique", "R3", key, uses == 1, f"evidence used {uses} time(s)")
        if info is not None and info.model == Model.segregated:
            ok = batch == e.input_id
            self.add("segregation", "R8", key, ok, f"batch {batch}, input {e.input_id}")
        if cert is None or info is None or unit is None:
            self.add("certificate-known", "R3", key, False, f"certificate {e.certificate_id}")
            return
        n = cert.number
        self.add("certificate-known", "R3", key, True, f"{n} (id {cert.certificate_id})")
        holder = cert.holder_party_id == unit.party_id
        self.add(
            "certificate-holder", "R3", key, holder, f"held by {self._party(cert.holder_party_id)}"
        )
        scheme = cert.scheme_id == info.scheme_id
        self.add("certificate-scheme", "R3", key, scheme, self._scheme(cert.scheme_id))
        covers = class_id in cert.class_ids and e.unit_id in cert.unit_ids
        scope = (
            f"covers {', '.join(self._class(c) for c in cert.class_ids)} "
            f"at {', '.join(self._unit(u) for u in cert.unit_ids)}"
        )
        self.add("certificate-scope", "R3", key, covers, scope)
        t = ref.timestamp
        valid = cert.valid_from <= t < cert.valid_until
        window = f"input at {_when(t)}, valid {_when(cert.valid_from)}..{_when(cert.valid_until)}"
        self.add("certificate-validity", "R3", key, valid, window)
        stopped = r.out_of_force_at(cert.certificate_id, ref)
        if stopped is not None:
            detail = f"{stopped.words()}, before the input"
            self.add("certificate-in-force", "R3", key, False, detail)
            return
        later = r.stated_later(cert.certificate_id, ref)
        if later is not None and later.ref is not None:
            detail = (
                f"{later.words()}, recorded later (block {later.ref.block_number}); "
                "the input stays valid"
            )
            self.add("certificate-in-force", "R3", key, True, detail, warning=True)
            return
        self.add("certificate-in-force", "R3", key, True, "valid at the input")

    def _unit(self, unit_id: int) -> str:
        unit = self.record.units.get(unit_id)
        return f"unit {unit_id}" if unit is None else unit.name

    def _class(self, class_id: int) -> str:
        info = self.record.classes.get(class_id)
        return f"class {class_id}" if info is None else info.name

    def conversion(self, key: str, ref: EventRef, e: R.Converted) -> None:
        proc = self.record.processes.get(e.process_id)
        if proc is None:
            self.add("conversion-process", "R5", key, False, f"no process {e.process_id}")
            return
        site = proc.unit_id == e.unit_id
        where = f"{proc.name} at {self._unit(proc.unit_id)}"
        self.add("conversion-process", "R5", key, site, where)
        factors = {f.version: f for f in self.record.factors.get(e.process_id, ())}
        f, nxt = factors.get(e.factor_version), factors.get(e.factor_version + 1)
        t = ref.timestamp
        if f is None:
            ok, detail = False, f"no factor version {e.factor_version}"
        elif f.yield_bps != e.yield_bps or f.effective_from > t:
            ok, detail = False, f"v{f.version} {f.yield_bps} bps from {_when(f.effective_from)}"
        elif nxt is not None and nxt.effective_from <= t:
            ok, detail = False, f"v{f.version} superseded by v{nxt.version} at {_when(t)}"
        else:
            ok, detail = True, f"v{f.version} {f.yield_bps} bps in effect at {_when(t)}"
        self.add("conversion-factor", "R5", key, ok, detail)
        in_ok = all(split_token_id(t)[0] == proc.input_class_id for t in e.input_token_ids)
        out_ok = split_token_id(e.output_token_id)[0] == proc.output_class_id
        classes = f"{self._class(proc.input_class_id)} -> {self._class(proc.output_class_id)}"
        self.add("conversion-classes", "R5", key, in_ok and out_ok, classes)
        expected = sum(e.input_amounts) * e.yield_bps // FULL_SHARE_BPS
        ok = e.output_amount == expected
        self.add("conversion-output", "R5", key, ok, f"{e.output_amount} g, expected {expected} g")

    # ---- names, as people read them (ids only where a name is missing) ----------------------

    def _party(self, party_id: int) -> str:
        party = self.record.parties.get(party_id)
        return party.name if party is not None else f"party {party_id}"

    def _scheme(self, scheme_id: int) -> str:
        return self.record.schemes.get(scheme_id, (f"scheme {scheme_id}", 0))[0]

    def shipment(self, key: str, e: R.Shipped) -> None:
        name, share = self.record.product_groups.get(e.product_group_id, ("?", 0))
        credits = sum(e.amounts)
        cap = e.quantity * share // FULL_SHARE_BPS
        ok = credits <= cap <= e.quantity
        detail = f"{credits:,} g ≤ {e.quantity:,} g × {_percent(share)} ({name}) = {cap:,} g"
        self.add("shipment-cap", "R6", key, ok, detail if ok else detail.replace("≤", ">"))
        wrong = []
        for tid in e.token_ids:
            info = self.record.classes.get(split_token_id(tid)[0])
            if info is None or info.product_group_id != e.product_group_id:
                wrong.append(f"{tid:#x} not of group {e.product_group_id}")
            elif info.model == Model.book_and_claim:
                wrong.append(f"{tid:#x} is book-and-claim")
        self.add("shipment-group", "R5", key, not wrong, "; ".join(wrong) or name)

    def boundary(self, key: str, e: R.InventoryTransferred) -> None:
        a, b = self.record.units.get(e.from_unit_id), self.record.units.get(e.to_unit_id)
        ok = (
            a is not None
            and b is not None
            and a.boundary_id != 0
            and (a.party_id, a.boundary_id) == (b.party_id, b.boundary_id)
        )
        self.add("boundary", "R7", key, ok, f"unit {e.from_unit_id} -> unit {e.to_unit_id}")

    def window(self, key: str, ref: EventRef, lines: tuple[tuple[int, int], ...]) -> None:
        late = []
        for tid, _ in lines:
            class_id, vintage, _ = split_token_id(tid)
            info = self.record.classes.get(class_id)
            if info is None:
                late.append(f"class {class_id} unknown")
                continue
            now = period_at(info.period_months, ref.timestamp)
            if vintage + info.window_periods <= now:
                late.append(f"vintage {vintage} lapsed at period {vintage + info.window_periods}")
        detail = "; ".join(late) or f"moved within the allocation window ({_when(ref.timestamp)})"
        self.add("window", "R4", key, not late, detail)


def _percent(bps: int) -> str:
    """Basis points as a person reads a share: 3500 → ``35.00 %`` (integers only)."""
    return f"{bps // 100}.{bps % 100:02d} %"
