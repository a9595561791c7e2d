"""What a buyer holding an SD's link sees (issue 25): the verdict, not the competitors.

The public views are cut from the full ones, never computed apart: ``public_verdict`` takes the
chain-only verifier's ``Verdict`` and ``public_declaration`` the full declaration, so the verdict
(holds, failed, warnings, every check's code, rule and result) is the same in both views. Each
step of the chain of custody is stated by role, country, scheme and certificate status
("certified converter, NL, ISCC PLUS certificate valid at conversion") and by its share of the
target; a party's name and unit, address, certificate numbers and quantities appear only where
that party chose to disclose them (``Disclosure``: the indexer's ``TRACENET_INDEXER_DISCLOSURE``,
party → any of ``name address certificates quantities``), except the buyer's direct supplier
(a shipment's sender, a claim's claimant), named with its address and certificates by default,
as the SD in the buyer's hands names it. Check details (which name units and certificate
numbers), transaction hashes of other operations, order references and sequential ids of other
operations are never public. The declaration's public view is ``_redact_declaration``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tracenet.contracts import CertificateStatus, EventRecord, split_token_id
from tracenet.contracts import records as R
from tracenet.indexer.lineage._lineage import LedgerEvent, Lineage, lines
from tracenet.indexer.verifier._record import ChainRecord
from tracenet.indexer.verifier._verify import Verdict
from tracenet.kit import iso_time

__all__ = [
    "DISCLOSABLE",
    "Disclosure",
    "country",
    "public_verdict",
    "share",
    "target_shares",
    "unit_of",
    "verdict_of",
]

#: What a party may choose to disclose on public pages.
DISCLOSABLE = ("name", "address", "certificates", "quantities")
#: What the buyer's direct supplier discloses unless it set otherwise.
DIRECT_SUPPLIER = frozenset({"name", "address", "certificates"})
_FULL = 10_000
_COUNTRY = re.compile(r"(?:^|[\s,])([A-Z]{2})\s*$")

#: A lineage step's role, and the moment its certificate is judged at, by node kind.
_ROLES = {
    "input": ("point of origin", "input"),
    "conversion": ("converter", "conversion"),
    "shipment": ("supplier", "dispatch"),
    "transfer": ("site transfer", "transfer"),
    "trade": ("certificate trader", "trade"),
    "claim": ("final claimant", "claim"),
}


@dataclass(frozen=True)
class Disclosure:
    """Per party id, what it discloses on public pages (``DISCLOSABLE``); a party named in
    ``parties`` replaces the direct supplier's default with its own choice."""

    parties: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def of(self, party_id: int | None, direct: bool = False) -> frozenset[str]:
        if party_id is not None and party_id in self.parties:
            return self.parties[party_id]
        return DIRECT_SUPPLIER if direct else frozenset()

    @classmethod
    def parse(
        cls,
        setting: Mapping[str, Iterable[str]],
        record: ChainRecord,
        registry: Mapping[str, Mapping[str, int]] | None = None,
    ) -> Disclosure:
        """From the setting (party id, registry key or on-chain name → what it discloses, or
        ``"all"``); a party the record does not know is ignored (it may not be registered yet)."""
        by_name = {p.name: p.party_id for p in record.parties.values()}
        keys = dict((registry or {}).get("parties", {}))
        parties: dict[int, frozenset[str]] = {}
        for who, what in setting.items():
            party = int(who) if who.isdigit() else keys.get(who, by_name.get(who))
            if party is None:
                continue
            items = [what] if isinstance(what, str) else list(what)
            chosen = DISCLOSABLE if "all" in items else tuple(i for i in items if i in DISCLOSABLE)
            parties[party] = frozenset(chosen)
        return cls(parties)


def unit_of(e: LedgerEvent | None) -> int | None:
    """The unit an event's step ran at: where credits were created, converted or claimed, or
    where they were sent from."""
    r = e.record if e is not None else None
    if isinstance(r, (R.InputRecorded, R.Converted, R.Claimed)):
        return r.unit_id
    if isinstance(r, (R.Shipped, R.InventoryTransferred, R.CertificatesTransferred)):
        return r.from_unit_id
    return None


def _tokens(r: EventRecord | None) -> list[int]:
    if isinstance(r, R.InputRecorded):
        return [r.token_id]
    if isinstance(r, R.Converted):
        return [r.output_token_id]
    return [tid for tid, _ in lines(r)] if r is not None else []


def country(location: str | None) -> str | None:
    """The country code a unit's address ends with (``Havenweg 1, Rotterdam NL``), else None."""
    found = _COUNTRY.search(location or "")
    return found.group(1) if found else None


def _certificates(
    record: ChainRecord, party: int, unit: int, schemes: set[int], at: int
) -> list[R.CertificateRegistered]:
    return [
        c
        for c in sorted(record.certificates.values(), key=lambda c: c.certificate_id)
        if c.holder_party_id == party
        and c.scheme_id in schemes
        and unit in c.unit_ids
        and c.valid_from <= at < c.valid_until
        and _in_force(record, c.certificate_id, at)
    ]


def _in_force(record: ChainRecord, certificate_id: int, at: int) -> bool:
    """The certificate's last status recorded by the time ``at`` is valid (issue 20's states)."""
    changes = record.certificate_changes.get(certificate_id, ())
    before = [ch for ch in changes if ch.ref is not None and ch.ref.timestamp <= at]
    if before:
        return before[-1].status == CertificateStatus.valid
    return bool(changes) or record.status_of(certificate_id) == CertificateStatus.valid


def share(grams: int, whole: int) -> int:
    """``grams`` as basis points of ``whole`` (rounded down; 0 of nothing)."""
    return grams * _FULL // whole if whole else 0


def _step(
    record: ChainRecord,
    number: int,
    kind: str,
    e: LedgerEvent | None,
    grams: int,
    share_bps: int,
    shown: frozenset[str],
) -> dict[str, Any]:
    role, moment = _ROLES.get(kind, ("unexplained source", "step"))
    unit = record.units.get(unit_of(e) or 0)
    schemes = {
        record.classes[c].scheme_id
        for c in (split_token_id(t)[0] for t in _tokens(e.record if e is not None else None))
        if c in record.classes
    }
    names = sorted({record.schemes.get(s, (f"scheme {s}", 0))[0] for s in schemes})
    at = e.ref.timestamp if e is not None else 0
    if e is not None and isinstance(e.record, R.InputRecorded):
        origin = record.certificates.get(e.record.certificate_id)
        held = [origin] if origin is not None else []
    elif unit is not None:
        held = _certificates(record, unit.party_id, unit.unit_id, schemes, at)
    else:
        held = []
    valid = [c for c in held if c.valid_from <= at < c.valid_until]
    scheme_words = " / ".join(names) or "no scheme"
    status = (
        f"{scheme_words} certificate valid at {moment}"
        if valid
        else f"no {scheme_words} certificate valid at {moment}"
    )
    party = record.parties.get(unit.party_id) if unit is not None else None
    step: dict[str, Any] = {
        "step": number,
        "kind": kind,
        "role": f"certified {role}" if valid else role,
        "country": country(unit.location) if unit is not None else None,
        "schemes": names,
        "certificate_status": status,
        "date": iso_time(at)[:10] if e is not None else None,
        "share_of_target_bps": share_bps,
        "party": party.name if party is not None and "name" in shown else None,
        "unit": unit.name if unit is not None and "name" in shown else None,
        "address": unit.location if unit is not None and "address" in shown else None,
        "certificates": [c.number for c in valid] if "certificates" in shown else None,
        "credits_g": grams if "quantities" in shown else None,
    }
    step["summary"] = ", ".join(
        x for x in (step["role"], step["country"], status) if x
    )  # "certified converter, NL, ISCC PLUS certificate valid at conversion"
    return step


def verdict_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """What must be equal in both views of one verdict: holds, counts, each check's result."""
    checks = sorted(
        (c["code"], c["rule"], bool(c["ok"]), bool(c["warning"])) for c in body["checks"]
    )
    return {
        "holds": body["holds"],
        "failed": body["failed"],
        "warnings": body["warnings"],
        "checks": checks,
    }


def target_shares(lineage: Lineage) -> dict[str, Fraction]:
    """Each lineage node's share of the target, an exact fraction (1 the whole; no floats): the
    target's inflows split by
    their grams, passed back along the edges (so a conversion's yield does not make its inputs
    look larger than the target: grams of different classes are never compared)."""
    inflow: dict[str, int] = {}
    for e in lineage.edges:
        inflow[e.target] = inflow.get(e.target, 0) + e.grams
    shares: dict[str, Fraction] = {lineage.target.key: Fraction(1)}
    for node in reversed(lineage.nodes):  # chain order: every target after its sources
        mine = shares.get(node.key, Fraction(0))
        for e in lineage.edges:
            if e.target == node.key and inflow[node.key]:
                part = mine * Fraction(e.grams, inflow[node.key])
                shares[e.source] = shares.get(e.source, Fraction(0)) + part
    return shares


def _steps(
    record: ChainRecord, lineage: Lineage, disclosure: Disclosure, direct: int | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    shares = target_shares(lineage)
    steps, subjects = [], {}
    for i, node in enumerate(lineage.nodes, start=1):
        unit = record.units.get(unit_of(node.event) or 0)
        party = unit.party_id if unit is not None else None
        shown = disclosure.of(party, direct=party is not None and party == direct)
        if node.key == lineage.target.key:
            shown = shown | {"quantities"}  # the target's own quantity is on the buyer's SD
        bps = round(shares.get(node.key, Fraction(0)) * _FULL)
        steps.append(_step(record, i, node.kind, node.event, node.grams, bps, shown))
        subjects[node.key] = f"step {i}"
    return steps, subjects


def public_verdict(
    verdict: Verdict, record: ChainRecord, disclosure: Disclosure, ref: str
) -> dict[str, Any]:
    """The verdict a buyer holding the link reads: holds or not, every rule checked and its
    result, the chain of custody step by step (role, country, scheme, certificate status,
    share), names and figures only as their parties disclose them."""
    target = verdict.lineage.target.event
    unit = record.units.get(unit_of(target) or 0)
    direct = unit.party_id if unit is not None else None
    steps, subjects = _steps(record, verdict.lineage, disclosure, direct)
    return {
        "view": "public",
        "kind": verdict.kind,
        "public_ref": ref,
        "holds": verdict.ok,
        "failed": len(verdict.failures),
        "warnings": len(verdict.warnings),
        "rules_checked": sorted({c.rule for c in verdict.checks}),
        "checks": [
            {
                "code": c.code,
                "rule": c.rule,
                "subject": subjects.get(c.subject, "ledger" if c.subject == "ledger" else "step"),
                "ok": c.ok,
                "warning": c.warning,
            }
            for c in verdict.checks
        ],
        "chain_of_custody": steps,
        "unexplained_share_bps": share(verdict.lineage.unexplained, verdict.lineage.target.grams),
    }
