"""R8, the rolling average percentage, through the gateway (issue 10): a rolling-average class is
registered, fed, shipped and claimed; the caller omits the class's lines and the gateway adds the
unit's share in force; lines of another amount are refused before signing, naming the share."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.gateway.conftest import Harness

T = 1_000_000
Q1 = f.m.period_at(3, f.START)
PELLET = f.m.token_id(f.C_ROLL, Q1)


def _fed(harness: Harness) -> None:
    """The rolling set-up, and 30 t certified + 70 t conventional at the recycler: 30 %."""
    w = harness.world
    f.add_rolling(w)
    w.ok("record_input", w.cast.recycler, f.C_ROLL, 30 * T, f.CERT_ROLL, f.evidence())
    w.ok("record_conventional", w.cast.recycler, f.G_PELLET, 70 * T, f.evidence())


def _shipment(**extra: Any) -> dict[str, Any]:
    return {
        "unit": "recycling-plant", "to_unit": "resin-a", "product_group": f.G_PELLET,
        "quantity": 10 * T, "document_hash": "0x" + f.evidence("dn").hex(), "order_ref": "PO-7",
        "product": "rHDPE pellets", **extra,
    }  # fmt: skip


def _events(done: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [e["args"] for e in done["outcome"]["events"] if e["event"] == name]


def test_a_rolling_average_class_is_registered(harness: Harness) -> None:
    admin = harness.key(f.P_ADMIN)
    spec = {"name": "rHDPE pellet", "characteristic": "recycled content", "scheme": "iscc-plus",
            "product_group": "pet-resin", "model": "mass_balance",
            "attribution": "rolling_average", "period_months": 3, "window_periods": 4,
            "sustainable_factor": 900, "conventional_factor": 1900}  # fmt: skip
    answer = harness.post("/v1/admin/classes", spec, admin)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], admin)
    assert done["status"] == "confirmed", done
    listed = harness.world.catalog.functions.rollingClasses(f.G_RESIN).call()
    assert [tuple(c) for c in listed] == [(f.C_ROLL, 3, 4)]
    segregated = harness.post("/v1/admin/classes", {**spec, "model": "segregated"}, admin)
    done = harness.wait(segregated.json()["id"], admin)
    assert (done["status"], done["outcome"]["error"]) == ("rejected", "ClassAttributionModel")


def test_the_gateway_adds_the_share_in_force_to_a_shipment(harness: Harness) -> None:
    _fed(harness)
    key = harness.key(f.P_RECYCLER)
    answer = harness.post("/v1/shipments", _shipment(), key)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", done
    (shipped,) = _events(done, "Shipped")
    assert (shipped["tokenIds"], shipped["amounts"]) == ([str(PELLET)], [3 * T])
    (applied,) = _events(done, "RollingShareApplied")
    assert (applied["shareBps"], applied["amount"], applied["quantity"]) == (3_000, 3 * T, 10 * T)
    assert (applied["windowSustainable"], applied["windowTotal"]) == (30 * T, 100 * T)
    # The caller may send the lines, exactly the share; any other amount is refused unsigned.
    exact = harness.post(
        "/v1/shipments", _shipment(lines=[{"token_id": str(PELLET), "amount": 3 * T}]), key
    )
    assert exact.status_code == 202, exact.text
    assert harness.wait(exact.json()["id"], key)["status"] == "confirmed"
    wrong = harness.post(
        "/v1/shipments", _shipment(lines=[{"token_id": str(PELLET), "amount": 5 * T}]), key
    )
    assert wrong.status_code == 422, wrong.text
    body = wrong.json()
    assert (body["code"], body["error"], body["field"]) == (
        "TN-GW-422-42",
        "RollingShareMismatch",
        "lines",
    )
    assert body["args"] == {
        "classId": f.C_ROLL,
        "expected": 3 * T,
        "given": 5 * T,
        "shareBps": 3_000,
    }
    assert "30.00 %" in body["message"]


def test_more_product_than_the_credits_cover_is_refused(harness: Harness) -> None:
    _fed(harness)
    key = harness.key(f.P_RECYCLER)
    answer = harness.post("/v1/shipments", _shipment(quantity=200 * T), key)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "CreditsInsufficient"
    assert (body["args"]["available"], body["args"]["required"]) == (30 * T, 60 * T)


def test_a_claim_takes_the_share_of_the_claimed_quantity(harness: Harness) -> None:
    _fed(harness)
    key = harness.key(f.P_RECYCLER)
    claim = {"unit": "recycling-plant", "class": f.C_ROLL, "quantity": 5 * T,
             "beneficiary": "Acme Crates", "product": "crate", "purpose": "recycled"}  # fmt: skip
    answer = harness.post("/v1/claims", claim, key)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", done
    (claimed,) = _events(done, "Claimed")
    assert claimed["amounts"] == [1_500_000]
    (applied,) = _events(done, "RollingShareApplied")
    assert (applied["operation"], applied["shareBps"]) == ("claim", 3_000)  # by name
    lines = [{"token_id": str(PELLET), "amount": T}]
    cases = [
        ({"lines": lines, "class": None, "quantity": None}, "RollingQuantityRequired", "lines[0]"),
        ({"class": "rpet-flake"}, "RollingClassRequired", "class"),
        ({"quantity": None}, "FieldInvalid", "quantity_g"),
        ({"lines": lines}, "RollingShareMismatch", "lines"),
    ]
    for change, error, field in cases:
        body = {k: v for k, v in {**claim, **change}.items() if v is not None}
        refused = harness.post("/v1/claims", body, key)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["error"], refused.json()["field"]) == (error, field), refused.text


def test_the_share_of_an_odd_quantity_rounds_down_to_the_gram(harness: Harness) -> None:
    """Issue 26: 30 % of 10,000,001 g is 3,000,000.3 g; the gateway adds 3,000,000 g, the amount
    the chain expects (one gram more would be rejected after signing)."""
    _fed(harness)
    key = harness.key(f.P_RECYCLER)
    answer = harness.post("/v1/shipments", _shipment(quantity=10 * T + 1), key)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", done
    (shipped,) = _events(done, "Shipped")
    assert shipped["amounts"] == [3 * T]


def test_lines_are_taken_from_valid_vintages_only(harness: Harness) -> None:
    """Issue 26: credits of 2031-Q1 lapse in Q3 (a window of two quarters); a Q3 shipment's
    lines come from Q3's credits, though the unit still holds Q1's."""
    _fed(harness)
    w = harness.world
    w.travel(f.at(2031, 7, 2))
    w.ok("record_input", w.cast.recycler, f.C_ROLL, 30 * T, f.CERT_ROLL, f.evidence())
    w.ok("record_conventional", w.cast.recycler, f.G_PELLET, 70 * T, f.evidence())
    assert w.balance(f.U_RECYCLER, PELLET) == 30 * T  # lapsed, not yet retired
    key = harness.key(f.P_RECYCLER)
    answer = harness.post("/v1/shipments", _shipment(), key)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", done
    (shipped,) = _events(done, "Shipped")
    q3 = f.m.token_id(f.C_ROLL, f.m.period_at(3, f.at(2031, 7, 2)))
    assert (shipped["tokenIds"], shipped["amounts"]) == ([str(q3)], [3 * T])
