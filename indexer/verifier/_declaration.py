"""The Sustainability Declaration of a shipment, issued from the chain record alone.

Everything on it comes from the ledger's events and views (``ChainRecord``) and the shipment's
lineage, so it can never disagree with the books: supplier and recipient (names, identifiers,
addresses, certificate numbers), dispatch date (block time) and address, order reference,
product and product group, physical quantity, credits carried and the resulting sustainable
share, class and scheme, raw-material category, waste status, chain-of-custody model and
attribution method, emission factors, the conversion factors applied upstream and the
transaction that records it. ``declaration`` gives JSON-ready data; ``to_markdown`` a document.
Under the rolling average percentage (R8, issue 10) ``rolling_average`` states, per class, the
share every output of the group carries, the window's totals behind it, and whether the share
recomputed from the chain's inputs agrees (``indexer.verifier._rolling``).

Under a scheme requiring a certified chain of custody (issue 13), the certificate each party
held at dispatch is the one the ledger's rule finds (``_custody.declared_custody``), the
``custody`` entries say so per class, a final claimant's exemption included; a shipment whose
supplier or non-exempt recipient held none when the scheme required it gets no declaration
(``DeclarationRefusedError``, ``TN-IX-409-01 CustodyCertificateMissing``). A dispatch made before
the scheme required custody is declared, with a ``notes`` entry naming the uncertified party —
the judgement ``tracenet verify`` gives that step (``_custody.judge``: one function for both).

A conventional delivery (a shipment with no credit lines, R10) gets a declaration too: 0 g of
credits, a 0 % sustainable share, no classes, no origins, no emission factor (none to take).
"""

from __future__ import annotations

from typing import Any

from tracenet.contracts import CertificateStatus, Custody, RawMaterial, period_label, split_token_id
from tracenet.contracts import records as R
from tracenet.indexer.lineage._lineage import trace_shipment
from tracenet.indexer.mirror._decode import Event, EventRef
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._custody import custody_words, declared_custody
from tracenet.indexer.verifier._public_ref import ref_of
from tracenet.indexer.verifier._rolling import rolling_shares
from tracenet.indexer.verifier._verify import acceptance
from tracenet.kit import iso_time as _iso

__all__ = [
    "CONVENTIONAL",
    "credits_carried",
    "custody_statement",
    "declaration",
    "emission_factor",
    "to_markdown",
]

RAW_MATERIALS = tuple(m.label for m in RawMaterial)
MODELS = ("mass balance", "segregated", "book and claim")
ATTRIBUTIONS = ("credit method", "rolling average percentage")


def _text(value: bytes) -> str:
    """A bytes32 field as text when it is printable UTF-8, else as hex."""
    raw = value.rstrip(b"\0")
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return "0x" + value.hex()
    return text if text.isprintable() else "0x" + value.hex()


def _name(table: tuple[str, ...], index: int) -> str:
    return table[index] if 0 <= index < len(table) else f"unknown ({index})"


def _party(
    record: ChainRecord,
    unit: R.UnitRegistered | None,
    at: EventRef,
    schemes: set[int],
    custody: list[str],
) -> dict[str, Any]:
    """Who, where, and the certificates of the shipment's schemes valid at dispatch: under a
    custody scheme the one the ledger's rule finds (``custody``), else every one of the unit in
    force then (issue 20: not suspended, withdrawn or terminated by a status recorded before)."""
    if unit is None:
        return {"name": None, "unit": None, "address": None, "certificates": custody,
                "certificate_status": []}  # fmt: skip
    party = record.parties.get(unit.party_id)
    t = at.timestamp
    mine = [
        c
        for c in sorted(record.certificates.values(), key=lambda c: c.certificate_id)
        if c.holder_party_id == unit.party_id
    ]
    certificates = [
        c.number
        for c in mine
        if c.scheme_id in schemes
        and unit.unit_id in c.unit_ids
        and c.valid_from <= t < c.valid_until
        and record.out_of_force_at(c.certificate_id, at) is None
    ]
    certificates = list(dict.fromkeys(custody + certificates))
    return {
        "party_id": unit.party_id,
        "name": party.name if party else None,
        "identifier": "0x" + party.identifier.hex() if party else None,
        "unit_id": unit.unit_id,
        "unit": unit.name,
        "address": unit.location,
        "certificates": certificates,
        "certificate_status": [
            _status(record, c, at) for number in certificates for c in mine if c.number == number
        ],
    }


def _status(record: ChainRecord, c: R.CertificateRegistered, at: EventRef) -> dict[str, Any]:
    """A certificate's status as its body states it today, and whether that came after the
    dispatch (issue 20): ``valid`` at dispatch, ``suspended`` since a later date, …"""
    changes = record.certificate_changes.get(c.certificate_id, ())
    last = changes[-1] if changes else None
    later = last is not None and last.ref is not None and last.ref.block_number >= at.block_number
    now = record.status_of(c.certificate_id)
    return {
        "number": c.number,
        "status": now.name,
        "status_since": _iso(last.record.effective_at) if last else _iso(c.valid_from),
        "status_reason": last.record.reason if last else "",
        "stated_after_dispatch": bool(later and now != CertificateStatus.valid),
        "valid_until": _iso(c.valid_until),
    }


def declaration(record: ChainRecord, shipment_id: int) -> dict[str, Any]:
    """The declaration of shipment ``shipment_id``; ``LookupError`` if there is none."""
    shipped: list[Event[R.Shipped]] = [
        Event(ref, e)
        for ref, e in record.events
        if isinstance(e, R.Shipped) and e.shipment_id == shipment_id
    ]
    if not shipped:
        raise LookupError(f"no shipment {shipment_id} on the chain")
    ref, s = shipped[0]
    t = ref.timestamp
    group_name, max_share = record.product_groups.get(s.product_group_id, ("?", 0))
    credits = sum(s.amounts)
    lines: list[dict[str, Any]] = []
    classes: dict[int, dict[str, Any]] = {}
    for tid, amount in zip(s.token_ids, s.amounts, strict=True):
        class_id, vintage, batch = split_token_id(tid)
        info = record.classes.get(class_id)
        lines.append(
            {
                "token_id": str(tid),
                "class_id": class_id,
                "vintage": period_label(info.period_months, vintage) if info else None,
                "vintage_index": vintage,
                "batch": batch,
                "credits_g": amount,
            }
        )
        if info is not None and class_id not in classes:
            scheme = record.schemes.get(info.scheme_id, ("?", 0))[0]
            classes[class_id] = {
                "class_id": class_id,
                "name": info.name,
                "characteristic": info.characteristic,
                "scheme": scheme,
                "raw_material": _name(RAW_MATERIALS, info.raw_material),
                "waste": info.waste,
                "chain_of_custody_model": _name(MODELS, info.model),
                "attribution_method": _name(ATTRIBUTIONS, info.attribution),
                "emission_factor_sustainable_gco2e_per_kg": info.sustainable_factor,
                "emission_factor_conventional_gco2e_per_kg": info.conventional_factor,
            }
    rolling = []
    for r in rolling_shares(record, shipped[0]):
        info = record.classes.get(r.class_id)
        rolling.append(
            {
                "class_id": r.class_id,
                "name": info.name if info else None,
                "share_bps": r.share_bps,
                "window_sustainable_g": r.sustainable,
                "window_total_g": r.total,
                "credits_g": r.carried_g,
                "recomputed_from_chain": r.ok,
            }
        )
    lineage = trace_shipment(record.events, shipment_id)
    conversions = []
    for node in lineage.of_kind("conversion"):
        assert node.event is not None
        at, e = node.event
        assert isinstance(e, R.Converted)
        proc = record.processes.get(e.process_id)
        factor = (
            next(
                (f for f in record.factors.get(e.process_id, ()) if f.version == e.factor_version),
                None,
            )
            if proc
            else None
        )
        site = record.units.get(e.unit_id)
        conversions.append(
            {
                "conversion_id": e.conversion_id,
                "process": proc.name if proc else None,
                "site": site.name if site else None,
                "factor_version": e.factor_version,
                "yield_bps": e.yield_bps,
                "effective_from": _iso(factor.effective_from) if factor else None,
                "evidence_hash": "0x" + factor.evidence_hash.hex() if factor else None,
                "tx_hash": at.tx_hash,
            }
        )
    # Emission factor of the delivered product: credits at the sustainable factor, the rest at
    # the conventional one, weighted by grams (gCO2e per kg, rounded half up).
    custody = declared_custody(record, shipped[0])
    schemes = {record.classes[c].scheme_id for c in classes} - {e["scheme_id"] for e in custody}

    def held(role: str) -> list[str]:
        return [n for n in dict.fromkeys(e[f"{role}_certificate"] for e in custody) if n]

    first = record.classes.get(next(iter(classes), 0))
    emission = None
    if first is not None and s.quantity:
        sus, conv = first.sustainable_factor, first.conventional_factor
        weighted = credits * sus + (s.quantity - credits) * conv
        emission = (2 * weighted + s.quantity) // (2 * s.quantity)
    return {
        "declaration": f"SD-{record.chain_id}-{shipment_id}",
        "shipment_id": shipment_id,
        "public_ref": ref_of(record, "shipment", shipment_id),
        "supplier": _party(
            record, record.units.get(s.from_unit_id), ref, schemes, held("supplier")
        ),
        "recipient": _party(
            record, record.units.get(s.to_unit_id), ref, schemes, held("recipient")
        ),
        "custody": custody,
        "recipient_final_claimant": any(e["recipient_exempt"] for e in custody),
        "dispatch_date": _iso(t),
        "dispatch_address": getattr(record.units.get(s.from_unit_id), "location", None),
        "order_reference": _text(s.order_ref),
        "product": _text(s.product),
        "product_group": {"id": s.product_group_id, "name": group_name, "max_share_bps": max_share},
        "quantity_g": s.quantity,
        "credits_g": credits,
        "sustainable_share_bps": credits * 10_000 // s.quantity if s.quantity else 0,
        "lines": lines,
        "classes": list(classes.values()),
        "rolling_average": rolling,
        "emission_factor_gco2e_per_kg": emission,
        "conversion_factors_upstream": conversions,
        "origins": [
            {
                "input_id": o.input.input_id,
                "certificate": getattr(
                    record.certificates.get(o.input.certificate_id), "number", None
                ),
                "credits_g": o.grams,
                "input_g": o.input_grams,
            }
            for o in lineage.origins
        ],
        "document_hash": "0x" + s.document_hash.hex(),
        # Issue 19: where a shipment that needed the recipient's acceptance stands (null: none).
        "acceptance": _acceptance(record, shipment_id),
        "transaction": {
            "chain_id": record.chain_id,
            "ledger": record.addresses.get("Ledger"),
            "tx_hash": ref.tx_hash,
            "block_number": ref.block_number,
            "log_index": ref.log_index,
        },
    }


_CUSTODY = {mode.name: custody_words(mode) for mode in Custody if mode != Custody.none}
#: What applies to an uncertified recipient a scheme exempts (``Custody`` mode 1).
FINAL_CLAIMANT = (
    "uncertified final claimant, exempt under the scheme: it may claim these credits, "
    "never pass them on"
)


def _acceptance(record: ChainRecord, shipment_id: int) -> dict[str, Any] | None:
    said = acceptance(record, shipment_id)
    return None if said is None else {"accepted": said[0], "text": said[1]}


def custody_statement(d: dict[str, Any]) -> str:
    """The declaration's chain-of-custody certification in one line (SD field and Markdown)."""
    lines = []
    for e in d.get("custody", []):
        exempt = FINAL_CLAIMANT if e["recipient_exempt"] else "none"
        parties = (
            f"supplier {e['supplier_certificate'] or 'none'}, "
            f"recipient {e['recipient_certificate'] or exempt}"
        )
        now = e.get("custody_now", e["custody"])
        if e["custody"] == "none":  # the scheme required it after the dispatch
            lines.append(
                f"{e['scheme']} required no certified chain of custody at dispatch (it requires "
                f"{_CUSTODY.get(now, now)} now): {parties}"
            )
        else:
            lines.append(
                f"{e['scheme']} requires a certified chain of custody "
                f"({_CUSTODY.get(e['custody'], e['custody'])}): {parties}"
            )
        lines += [f"NOTE {n}" for n in e.get("notes", [])]
    return "; ".join(dict.fromkeys(lines)) or "not required by the scheme"


#: What a shipment without credit lines is (R10): stated beside its credits on every form of the SD.
CONVENTIONAL = "a conventional delivery: no credits, no sustainable share claimed"


def credits_carried(d: dict[str, Any], grams: bool = True) -> str:
    """The credits an SD states, in words for a conventional delivery."""
    text = _grams(d["credits_g"]) if grams else f"{d['credits_g']} g"
    return text if d["credits_g"] else f"{text} ({CONVENTIONAL})"


def emission_factor(d: dict[str, Any]) -> str:
    """The delivery's emission factor, or why the SD states none (no credit class to take it
    from: a conventional delivery)."""
    value = d["emission_factor_gco2e_per_kg"]
    if value is not None:
        return f"{value} gCO2e/kg"
    if d["classes"]:
        return "not stated"
    return "not stated (no credit class: a conventional delivery)"


def _grams(g: int) -> str:
    return f"{g:,} g ({g / 1_000_000:,.3f} t)".replace(",", " ")


def _who(p: dict[str, Any], final_claimant: bool = False) -> list[str]:
    none = "none valid at dispatch" + (" (final claimant, exempt)" if final_claimant else "")
    certs = ", ".join(p["certificates"]) or none
    lines = [f"{p['name']} — {p['unit']}", f"Address: {p['address']}", f"Certificates: {certs}"]
    return lines + [
        _stated(c) for c in p.get("certificate_status", []) if c["stated_after_dispatch"]
    ]


def _stated(c: dict[str, Any]) -> str:
    """A status stated after the dispatch, in words (issue 20)."""
    why = f" ({c['status_reason']})" if c["status_reason"] else ""
    return f"{c['number']} was valid at dispatch; {c['status']} since {c['status_since']}{why}"


def to_markdown(d: dict[str, Any]) -> str:
    """The declaration as a readable Markdown document."""
    share = d["sustainable_share_bps"]
    out = [
        f"# Sustainability Declaration {d['declaration']}",
        "",
        "## Supplier",
        *_who(d["supplier"]),
        "",
        "## Recipient",
        *_who(d["recipient"], d["recipient_final_claimant"]),
        "",
        "## Chain of custody certification",
        custody_statement(d),
        "",
        "## Delivery",
        f"- Dispatch date: {d['dispatch_date']}",
        f"- Dispatch address: {d['dispatch_address']}",
        f"- Order reference: {d['order_reference']}",
        f"- Product: {d['product']} (product group {d['product_group']['name']})",
        f"- Physical quantity: {_grams(d['quantity_g'])}",
        f"- Credits carried: {credits_carried(d)}",
        f"- Sustainable share: {share // 100}.{share % 100:02d} %"
        f" (maximum {d['product_group']['max_share_bps'] / 100:.2f} %)",
        f"- Emission factor: {emission_factor(d)}",
        *([f"- Acceptance: {d['acceptance']['text']}"] if d.get("acceptance") else []),
        *[
            f"- Rolling average percentage ({r['name']}): {r['share_bps'] / 100:.2f} %, carried "
            f"by every output of the group ({_grams(r['window_sustainable_g'])} sustainable of "
            f"{_grams(r['window_total_g'])} input in the window; "
            + ("recomputed from the chain)" if r["recomputed_from_chain"] else "NOT RECOMPUTED)")
            for r in d.get("rolling_average", [])
        ],
        "",
        "## Sustainability characteristics",
    ]
    for c in d["classes"]:
        out += [
            f"- Class {c['name']} ({c['characteristic']}), scheme {c['scheme']}",
            f"  - Raw material: {c['raw_material']}; waste or residue: "
            f"{'yes' if c['waste'] else 'no'}",
            f"  - Chain of custody: {c['chain_of_custody_model']}, {c['attribution_method']}",
            f"  - Emission factors: {c['emission_factor_sustainable_gco2e_per_kg']} gCO2e/kg "
            f"sustainable, {c['emission_factor_conventional_gco2e_per_kg']} conventional",
        ]
    out += ["", "## Conversion factors applied upstream"]
    out += [
        f"- {c['process']} at {c['site']}: v{c['factor_version']}, yield "
        f"{c['yield_bps'] / 100:.2f} % (from {c['effective_from']}, evidence {c['evidence_hash']})"
        for c in d["conversion_factors_upstream"]
    ] or ["- none"]
    out += ["", "## Origin"]
    out += [
        f"- Input {o['input_id']} under {o['certificate']}: {_grams(o['credits_g'])}"
        for o in d["origins"]
    ] or ["- none: no credits carried"]
    tx = d["transaction"]
    out += [
        "",
        "## Record",
        f"- Transaction {tx['tx_hash']} (block {tx['block_number']}, chain {tx['chain_id']},"
        f" ledger {tx['ledger']})",
        f"- Delivery document hash: {d['document_hash']}",
        "",
    ]
    return "\n".join(out)
