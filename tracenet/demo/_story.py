"""The demo story, told through the parties' gateways only: from certified flakes to a claim.

Quarter P0: ReLoop records certified PET flakes (its SD by hash; the same SD again is rejected),
ships flakes to PolyNova, which converts them to resin at its registered 90 % yield, moves some
inventory to its Gent site (one multi-site boundary), and ships resin to Acme, which claims
(an over-claim is rejected). Vitra ships food-grade glass under the 35 % cap; the certification
body suspends its certificate (an input is refused), reinstates it, and a second registration
of its number is refused (issue 20). ReLoop records
certified and conventional HDPE for its rolling-average class (``_rolling``). Quarter P1: ReLoop's
P0 credits are carried forward; it closes P0 against its physical stock (the excess lapses); it
ships HDPE pellets carrying exactly its rolling share, which Acme claims. Quarter P2: P0 credits
are past their two-period window: shipping them is rejected and they lapse. Then ISCC PLUS
deliveries need the recipient's acceptance (``_acceptance``): a rejected delivery, an accepted
one, a recall and a settlement after the window.
The chain starts at ``GENESIS`` (2026-12-01), so P0 is always 2027-Q1, whatever today's date.
"""

from __future__ import annotations

from typing import Any

from tracenet.demo import _acceptance, _rolling
from tracenet.demo._play import Player, doc_hash

__all__ = ["tell"]

T = 1_000_000  # grams in a tonne


def tell(p: Player) -> None:
    """Every chapter in order; ``p.facts`` ends with the ids the people's links need."""
    p0 = p.period() + 1
    p.facts["p0"] = p0
    p.chapter(f"Time: the story starts on the second day of {p.label(p0)}")
    p.travel_to(p0)
    _inputs(p)
    _resin(p)
    _glass(p)
    _certificate_status(p)
    _rolling.feed(p, p0)
    _carry_forward(p, p0)
    _rolling.ship_and_claim(p, p0 + 1)
    _lapse(p, p0)
    _acceptance.tell(p, p0 + 2)


def _lines(*pairs: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"token_id": str(token), "amount_g": amount} for token, amount in pairs]


def _inputs(p: Player) -> None:
    p.chapter("1. Certified inputs: ReLoop records PET flakes with their SD (hash)")
    sd = doc_hash(f"SD ReLoop {p.label(p.facts['p0'])} 0001: 10 t rPET flakes")
    flake = {
        "unit": "recycler-plant",
        "class": "rpet-flake",
        "certificate": "ISCC-PLUS-Cert-DE100-00001",  # reloop-plus, by the number on its paper
    }
    done = p.step(
        "recycler",
        "record 10 t certified rPET flakes",
        "/v1/inputs",
        {**flake, "amount_g": 10 * T, "evidence_hash": sd},
    )
    p.facts["flake"] = int(done.event("InputRecorded")["tokenId"])
    p.step(
        "recycler",
        "record 4 t conventional flakes (quantity only)",
        "/v1/conventional-inputs",
        {
            "unit": "recycler-plant",
            "product_group": "pet-flakes",
            "quantity_g": 4 * T,
            "document_hash": doc_hash("WB ReLoop 7731"),
        },
    )
    p.step(
        "recycler",
        "record 1 t more with the same SD (issued once)",
        "/v1/inputs",
        {**flake, "amount_g": T, "evidence_hash": sd},
        expect="InputEvidenceReused",
    )


def _ship(p: Player, party: str, what: str, body: dict[str, Any], expect: str = "confirmed") -> Any:
    return p.step(party, what, "/v1/shipments", body, expect)


def _resin(p: Player) -> None:
    flake = p.facts["flake"]
    p.chapter("2. ReLoop ships 6 t of flakes carrying 6 t of credits to PolyNova Antwerp")
    done = _ship(
        p,
        "recycler",
        "ship 6 t flakes with 6 t credits",
        {
            "unit": "recycler-plant",
            "to_unit": "resin-antwerp",
            "product_group": "pet-flakes",
            "quantity_g": 6 * T,
            "document_hash": doc_hash("DN ReLoop 0001"),
            "order_ref": "PO-7781",
            "product": "rPET flakes",
            "lines": _lines((flake, 6 * T)),
        },
    )
    p.facts["flake_shipment"] = int(done.event("Shipped")["shipmentId"])
    p.chapter("3. PolyNova converts the flake credits at its registered 90 % yield")
    convert = {"unit": "resin-antwerp", "process": "flake-to-resin"}
    done = p.step(
        "resin",
        "convert 6 t flake credits, factor version 0",
        "/v1/conversions",
        {**convert, "factor_version": 0, "lines": _lines((flake, 6 * T))},
    )
    converted = done.event("Converted")
    resin, made = int(converted["outputTokenId"]), int(converted["outputAmount"])
    p.facts["resin"] = resin
    p.say(f"       {made:,} g of resin credits from 6,000,000 g of flake credits")
    p.step(
        "resin",
        "convert at a factor version never registered",
        "/v1/conversions",
        {**convert, "factor_version": 1, "lines": _lines((flake, T))},
        expect="FactorUnknown",
    )
    p.chapter("4. PolyNova moves 1 t of resin credits to Gent (same multi-site boundary)")
    p.step(
        "resin",
        "inventory transfer 1 t Antwerp -> Gent",
        "/v1/inventory-transfers",
        {"unit": "resin-antwerp", "to_unit": "resin-gent", "lines": _lines((resin, T))},
    )
    p.step(
        "resin",
        "inventory transfer to another party's unit",
        "/v1/inventory-transfers",
        {"unit": "resin-antwerp", "to_unit": "brand-dc", "lines": _lines((resin, T))},
        expect="BoundaryViolation",
    )
    p.chapter("5. PolyNova ships 8 t of resin with 4 t of credits to Acme; Acme claims")
    done = _ship(
        p,
        "resin",
        "ship 8 t resin with 4 t credits (50 %)",
        {
            "unit": "resin-antwerp",
            "to_unit": "brand-dc",
            "product_group": "pet-resin",
            "quantity_g": 8 * T,
            "document_hash": doc_hash("DN PolyNova 0002"),
            "order_ref": "PO-5521",
            "product": "Food-grade rPET resin",
            "lines": _lines((resin, 4 * T)),
        },
    )
    p.facts["resin_shipment"] = int(done.event("Shipped")["shipmentId"])
    claim = {"unit": "brand-dc", "beneficiary": "Acme Bottles plc", "purpose": "recycled content"}
    done = p.step(
        "brand",
        "claim 2.5 t for 500 ml bottles",
        "/v1/claims",
        {**claim, "product": "500 ml bottle", "lines": _lines((resin, 2_500_000))},
    )
    p.facts["claim"] = int(done.event("Claimed")["claimId"])
    p.step(
        "brand",
        "claim 2 t more: Acme holds only 1.5 t",
        "/v1/claims",
        {**claim, "product": "1 l bottle", "lines": _lines((resin, 2 * T))},
        expect="CreditsInsufficient",
    )


def _glass(p: Player) -> None:
    p.chapter("6. Vitra records segregated cullet and ships food-grade glass (35 % cap)")
    cert = p.id("certificates", "vitra-plus")
    cullet = {"unit": "glass-yard", "class": "cullet", "certificate": cert}
    done = p.step(
        "glass",
        "record 30 t certified cullet",
        "/v1/inputs",
        {**cullet, "amount_g": 30 * T, "evidence_hash": doc_hash("WB Vitra 0042")},
    )
    token = int(done.event("InputRecorded")["tokenId"])
    glass = {
        "unit": "glass-yard",
        "to_unit": "brand-dc",
        "product_group": "food-glass",
        "quantity_g": 20 * T,
        "order_ref": "PO-9001",
        "product": "Flint cullet",
    }
    _ship(
        p,
        "glass",
        "ship 20 t glass with 7,000,001 g credits",
        {**glass, "document_hash": doc_hash("DN Vitra 0003"), "lines": _lines((token, 7 * T + 1))},
        expect="CapExceeded",
    )
    done = _ship(
        p,
        "glass",
        "ship 20 t glass with 7,000,000 g credits (35 %)",
        {**glass, "document_hash": doc_hash("DN Vitra 0004"), "lines": _lines((token, 7 * T))},
    )
    p.facts["glass_shipment"] = int(done.event("Shipped")["shipmentId"])
    p.step(
        "glass",
        "record 25 t more: the certificate's audited 50 t",
        "/v1/inputs",
        {**cullet, "amount_g": 25 * T, "evidence_hash": doc_hash("WB Vitra 0043")},
        expect="CertificateVolumeExceeded",
    )


def _certificate_status(p: Player) -> None:
    """Issue 20: the certification body states a certificate's status, as ISCC's database does."""
    p.chapter("6b. The certification body suspends Vitra's certificate, then reinstates it")
    number = "ISCC-PLUS-Cert-UK200-00002"  # vitra-plus
    path = f"/v1/certificates/{number}/status"
    p.step(
        "certifier",
        "suspend it: major non-conformity at the audit",
        path,
        {"status": "suspended", "effective_at": p.chain_time(), "reason": "major non-conformity"},
    )
    cullet = {"unit": "glass-yard", "class": "cullet", "certificate": number, "amount": 1 * T}
    p.step(
        "glass",
        "record 1 t cullet while the certificate is suspended",
        "/v1/inputs",
        {**cullet, "evidence_hash": doc_hash("WB Vitra 0044")},
        expect="CertificateNotInForce",
    )
    p.step(
        "certifier",
        "reinstate it: corrective action closed",
        path,
        {"status": "valid", "effective_at": p.chain_time(), "reason": "corrective action closed"},
    )
    p.step(
        "certifier",
        f"register {number} a second time",
        "/v1/certificates",
        {
            "holder": "glass", "scheme": "iscc-plus", "number": number,
            "valid_from": p.chain_time(), "valid_until": p.chain_time() + 86_400,
            "classes": ["cullet"], "units": ["glass-yard"],
        },
        expect="CertificateNumberTaken",
    )  # fmt: skip


def _carry_forward(p: Player, p0: int) -> None:
    flake, label0 = p.facts["flake"], p.label(p0)
    p.chapter(f"8. {p.label(p0 + 1)}: ReLoop closes {label0} and carries its credits forward")
    p.travel_to(p0 + 1)
    close = {"unit": "recycler-plant", "class": "rpet-flake", "physical_stock_g": 3_500_000}
    done = p.step(
        "recycler", f"close {label0}: book 4 t, physical stock 3.5 t", "/v1/period-closes", close
    )
    lapsed = int(done.event("PeriodClosed")["lapsed"])
    p.say(f"       {lapsed:,} g lapsed: the carry-forward is capped at the physical stock")
    p.step(
        "recycler",
        f"close {label0} again",
        "/v1/period-closes",
        close,
        expect="PeriodAlreadyClosed",
    )
    done = _ship(
        p,
        "recycler",
        f"ship 2 t flakes with 2 t {label0} credits (carried)",
        {
            "unit": "recycler-plant",
            "to_unit": "resin-antwerp",
            "product_group": "pet-flakes",
            "quantity_g": 2 * T,
            "document_hash": doc_hash("DN ReLoop 0005"),
            "order_ref": "PO-7790",
            "product": "rPET flakes",
            "lines": _lines((flake, 2 * T)),
        },
    )
    sd = doc_hash(f"SD ReLoop {p.label(p0 + 1)} 0002: 5 t rPET flakes")
    p.step(
        "recycler",
        f"record 5 t certified flakes in {p.label(p0 + 1)}",
        "/v1/inputs",
        {
            "unit": "recycler-plant",
            "class": "rpet-flake",
            "amount_g": 5 * T,
            "certificate": p.id("certificates", "reloop-plus"),
            "evidence_hash": sd,
        },
    )


def _lapse(p: Player, p0: int) -> None:
    flake, label0 = p.facts["flake"], p.label(p0)
    p.chapter(f"10. {p.label(p0 + 2)}: {label0} credits are past their two-period window")
    p.travel_to(p0 + 2)
    _ship(
        p,
        "recycler",
        f"ship 1 t flakes with {label0} credits",
        {
            "unit": "recycler-plant",
            "to_unit": "resin-antwerp",
            "product_group": "pet-flakes",
            "quantity_g": T,
            "document_hash": doc_hash("DN ReLoop 0009"),
            "order_ref": "PO-7799",
            "product": "rPET flakes",
            "lines": _lines((flake, T)),
        },
        expect="CreditsLapsed",
    )
    done = p.step(
        "recycler",
        f"lapse the {label0} flake credits left",
        "/v1/lapses",
        {"unit": "recycler-plant", "token_ids": [str(flake)]},
    )
    p.say(f"       {int(done.event('Lapsed')['amount']):,} g lapsed at the end of the window")
    p.step(
        "resin",
        f"lapse Gent's {label0} resin credits",
        "/v1/lapses",
        {"unit": "resin-gent", "token_ids": [str(p.facts["resin"])]},
    )
