"""Issue 19 in the demo: ISCC PLUS makes a delivery two-sided.

The consortium admin sets ISCC PLUS's shipments to need the recipient's acceptance within 72 h,
returned to the sender when nobody answers. ReLoop ships 3 t of certified flakes to PolyNova:
PolyNova's balance does not move; it rejects the delivery ("moisture 4 % over contract") and
the credits go back to ReLoop. ReLoop ships 2 t; PolyNova accepts them. A 1 t shipment sent to
the wrong site is recalled by ReLoop, and one nobody answers is settled after its window (an
early settlement is refused) and returned.
"""

from __future__ import annotations

from typing import Any

from tracenet.demo._play import Player, doc_hash

__all__ = ["tell"]

T = 1_000_000


def tell(p: Player, period: int) -> None:
    label = p.label(period)
    p.chapter(f"11. {label}: ISCC PLUS deliveries need the recipient's acceptance (72 h)")
    p.step(
        "consortium",
        "ISCC PLUS: acceptance required, 72 h, returned if unanswered",
        "/v1/admin/schemes/iscc-plus/acceptance",
        {"acceptance": "required", "window_seconds": 72 * 3600, "settle": "returned"},
    )
    done = p.step(
        "recycler",
        f"record 7 t certified flakes in {label}",
        "/v1/inputs",
        {
            "unit": "recycler-plant", "class": "rpet-flake", "amount_g": 7 * T,
            "certificate": p.id("certificates", "reloop-plus"),
            "evidence_hash": doc_hash(f"SD ReLoop {label} 0003: 7 t rPET flakes"),
        },
    )  # fmt: skip
    flake = int(done.event("InputRecorded")["tokenId"])
    rejected = _ship(p, flake, 3, "DN ReLoop 0011", "PO-7801")
    p.say("       PolyNova's balance has not moved: 3 t of credits are in transit")
    p.step(
        "resin",
        f"reject shipment {rejected}: moisture 4 % over contract",
        "/v1/rejections",
        {"unit": "resin-antwerp", "shipment": rejected, "reason": "moisture 4 % over contract"},
    )
    p.step(
        "resin",
        f"accept shipment {rejected} after rejecting it",
        "/v1/acceptances",
        {"unit": "resin-antwerp", "shipment": rejected},
        expect="TransitNotPending",
    )
    accepted = _ship(p, flake, 2, "DN ReLoop 0012", "PO-7802")
    p.step(
        "resin",
        f"accept shipment {accepted}: 2 t credits become PolyNova's",
        "/v1/acceptances",
        {"unit": "resin-antwerp", "shipment": accepted},
    )
    recalled = _ship(p, flake, 1, "DN ReLoop 0013", "PO-7803")
    p.step(
        "recycler",
        f"recall shipment {recalled}: loaded on the wrong truck",
        "/v1/recalls",
        {"unit": "recycler-plant", "shipment": recalled},
    )
    late = _ship(p, flake, 1, "DN ReLoop 0014", "PO-7804")
    p.step(
        "brand",
        f"settle shipment {late} inside its window",
        "/v1/settlements",
        {"shipment": late},
        expect="TransitWindowOpen",
    )
    p.travel_to(period, days=5)
    p.step(
        "brand",
        f"settle shipment {late} after 72 h unanswered: returned",
        "/v1/settlements",
        {"shipment": late},
    )
    p.facts["rejected_shipment"], p.facts["accepted_shipment"] = rejected, accepted


def _ship(p: Player, flake: int, tonnes: int, note: str, order: str) -> int:
    body: dict[str, Any] = {
        "unit": "recycler-plant", "to_unit": "resin-antwerp", "product_group": "pet-flakes",
        "quantity_g": tonnes * T, "document_hash": doc_hash(note), "order_ref": order,
        "product": "rPET flakes", "lines": [{"token_id": str(flake), "amount_g": tonnes * T}],
    }  # fmt: skip
    done = p.step("recycler", f"ship {tonnes} t flakes to PolyNova (awaits acceptance)",
                  "/v1/shipments", body)  # fmt: skip
    return int(done.event("Shipped")["shipmentId"])
