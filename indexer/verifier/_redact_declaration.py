"""A shipment's Sustainability Declaration as a buyer holding its link reads it (issue 25):
cut from the full declaration (``_declaration.declaration``) by ``_redact``'s disclosure rules —
the supplier (the buyer's direct supplier) named, the recipient and the upstream parties only
as they disclose themselves, upstream quantities as shares, no order reference."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracenet.contracts import records as R
from tracenet.indexer.verifier._record import ChainRecord
from tracenet.indexer.verifier._redact import Disclosure, country, share

__all__ = ["public_declaration"]


def _party(p: Mapping[str, Any], role: str, shown: frozenset[str]) -> dict[str, Any]:
    return {
        "role": role,
        "country": country(p.get("address")),
        "certified": bool(p.get("certificates")),
        "name": p.get("name") if "name" in shown else None,
        "unit": p.get("unit") if "name" in shown else None,
        "address": p.get("address") if "address" in shown else None,
        "certificates": list(p.get("certificates") or []) if "certificates" in shown else None,
    }


def public_declaration(
    d: Mapping[str, Any], record: ChainRecord, disclosure: Disclosure
) -> dict[str, Any]:
    """A shipment's declaration as a buyer holding its link reads it: the delivery, its share
    and characteristics, the custody statement by status; the supplier named (the buyer's
    direct supplier), the recipient and upstream parties only as they disclose themselves."""
    supplier_id, recipient_id = d["supplier"].get("party_id"), d["recipient"].get("party_id")
    supplier = disclosure.of(supplier_id, direct=True)
    recipient = disclosure.of(recipient_id)

    def cert(entry: Mapping[str, Any], role: str, shown: frozenset[str]) -> str | None:
        number = entry.get(f"{role}_certificate")
        if number is None:
            return None
        return number if "certificates" in shown else "valid at dispatch (number not disclosed)"

    inputs = {e.input_id: e for _, e in record.events if isinstance(e, R.InputRecorded)}
    conversions = {e.conversion_id: e for _, e in record.events if isinstance(e, R.Converted)}
    credits = d["credits_g"]

    def shown_at(unit_id: int | None) -> frozenset[str]:
        unit = record.units.get(unit_id or 0)
        return disclosure.of(unit.party_id if unit is not None else None)

    origins = []
    for o in d["origins"]:
        e = inputs.get(o["input_id"])
        shown = shown_at(e.unit_id if e else None)
        unit = record.units.get(e.unit_id) if e else None
        origins.append(
            {
                "country": country(unit.location) if unit else None,
                "share_of_credits_bps": share(o["credits_g"], credits),
                "certificate": o["certificate"] if "certificates" in shown else None,
                "credits_g": o["credits_g"] if "quantities" in shown else None,
                "input_g": o["input_g"] if "quantities" in shown else None,
            }
        )
    factors = []
    for c in d["conversion_factors_upstream"]:
        conversion = conversions.get(c["conversion_id"])
        shown = shown_at(conversion.unit_id if conversion else None)
        factors.append(
            {
                "process": c["process"] if "name" in shown else None,
                "site": c["site"] if "name" in shown else None,
                "factor_version": c["factor_version"],
                "yield_bps": c["yield_bps"],
                "effective_from": c["effective_from"],
            }
        )
    return {
        "view": "public",
        "public_ref": d["public_ref"],
        "declaration": d["declaration"],
        "supplier": _party(d["supplier"], "supplier", supplier),
        "recipient": _party(d["recipient"], "recipient", recipient),
        "custody": [
            {
                "scheme": e["scheme"],
                "custody": e["custody"],
                "supplier_certificate": cert(e, "supplier", supplier),
                "recipient_certificate": cert(e, "recipient", recipient),
                "recipient_exempt": e["recipient_exempt"],
            }
            for e in d["custody"]
        ],
        "recipient_final_claimant": d["recipient_final_claimant"],
        "dispatch_date": d["dispatch_date"],
        "dispatch_address": d["dispatch_address"] if "address" in supplier else None,
        "product": d["product"],
        "product_group": d["product_group"],
        "quantity_g": d["quantity_g"],
        "credits_g": credits,
        "sustainable_share_bps": d["sustainable_share_bps"],
        "lines": d["lines"],  # the credits the buyer received
        "classes": d["classes"],
        "rolling_average": [
            {
                "class_id": r["class_id"],
                "name": r["name"],
                "share_bps": r["share_bps"],
                "credits_g": r["credits_g"],
                "recomputed_from_chain": r["recomputed_from_chain"],
            }
            for r in d["rolling_average"]
        ],
        "emission_factor_gco2e_per_kg": d["emission_factor_gco2e_per_kg"],
        "conversion_factors_upstream": factors,
        "origins": origins,
        "document_hash": d["document_hash"],
        "transaction": d["transaction"],
    }
