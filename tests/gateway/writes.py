"""A valid call of every ledger write of the catalog (gateway/operations/_catalog.py) on the tests'
world: ``SAMPLES[kind](world)`` prepares what the write needs on chain (credits, a lapsed window…)
and returns the calling party and the body. A new catalog row without its sample fails
tests/gateway/test_catalog.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests import factories as f
from tests.factories import World

FLAKE_Q1 = (f.C_FLAKE << 64) | (244 << 32)  # rpet-flake 2031-Q1

Sample = Callable[[World], tuple[int, dict[str, Any]]]


def _hash(tag: str) -> str:
    return "0x" + f.evidence(tag).hex()


def _credits(w: World, amount: int = 100_000) -> None:
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, amount, f.CERT_RECYCLER, f.evidence())


def _at_resin(w: World, amount: int = 10_000) -> None:
    """Flake credits shipped from the recycler to resin site A."""
    _credits(w)
    w.ok(
        "ship",
        w.cast.recycler,
        f.U_RESIN,
        f.G_FLAKE,
        2 * amount,
        f.evidence(),
        [(FLAKE_Q1, amount)],
    )


def _lines(token: int, amount: int) -> list[dict[str, Any]]:
    return [{"token_id": str(token), "amount": amount}]


def _input(w: World) -> tuple[int, dict[str, Any]]:
    body = {"unit": "recycling-plant", "class": "rpet-flake", "amount": 1_000,
            "certificate": f.CERT_RECYCLER, "evidence_hash": _hash("sample")}  # fmt: skip
    return f.P_RECYCLER, body


def _quantity(w: World) -> tuple[int, dict[str, Any]]:
    return f.P_RECYCLER, {"unit": "recycling-plant", "product_group": "pet-flakes",
                          "quantity": 5_000, "document_hash": _hash("quantity")}  # fmt: skip


def _shipment(w: World) -> tuple[int, dict[str, Any]]:
    _credits(w)
    return f.P_RECYCLER, {
        "unit": "recycling-plant", "to_unit": "resin-a", "product_group": "pet-flakes",
        "quantity": 20_000, "document_hash": _hash("delivery"), "order_ref": "PO-1",
        "product": "rPET flakes", "lines": _lines(FLAKE_Q1, 10_000),
    }  # fmt: skip


def _inventory(w: World) -> tuple[int, dict[str, Any]]:
    _at_resin(w)
    return f.P_RESIN, {"unit": "resin-a", "to_unit": "resin-b", "lines": _lines(FLAKE_Q1, 5_000)}


def _certificates(w: World) -> tuple[int, dict[str, Any]]:
    period = int(w.ledger.functions.currentPeriod(f.C_BIO).call())
    bio = (f.C_BIO << 64) | (period << 32)
    w.ok("record_input", w.cast.recycler, f.C_BIO, 50_000, f.CERT_BIO, f.evidence())
    return f.P_RECYCLER, {"unit": "recycling-plant", "to_unit": "resin-a", "trade_ref": "T-1",
                          "lines": _lines(bio, 20_000)}  # fmt: skip


def _conversion(w: World) -> tuple[int, dict[str, Any]]:
    _at_resin(w)
    return f.P_RESIN, {"unit": "resin-a", "process": "flake-to-resin", "factor_version": 0,
                       "lines": _lines(FLAKE_Q1, 10_000)}  # fmt: skip


def _claim(w: World) -> tuple[int, dict[str, Any]]:
    _credits(w)
    body = {"unit": "recycling-plant", "lines": _lines(FLAKE_Q1, 1_000), "beneficiary": "Brand",
            "product": "bottle", "purpose": "recycled"}  # fmt: skip
    return f.P_RECYCLER, body


def _lapse(w: World) -> tuple[int, dict[str, Any]]:
    _credits(w)
    w.travel(f.at(2031, 7, 2))  # Q1's window (two quarters) is over in Q3
    return f.P_BRAND, {"unit": "recycling-plant", "token_ids": [str(FLAKE_Q1)]}


def _close(w: World) -> tuple[int, dict[str, Any]]:
    return f.P_RECYCLER, {"unit": "recycling-plant", "class": "rpet-flake", "physical_stock": 0}


def _in_transit(w: World, settle: int = 0) -> int:
    """Issue 19: ISCC PLUS needs acceptance (3 days); a flake shipment from the recycler to the
    brand waits in transit. Its shipment id."""
    w.ok("set_acceptance", w.cast.admin, f.S_PLUS, 1, 3 * f.DAY, settle)
    _credits(w)
    w.ok("ship", w.cast.recycler, f.U_BRAND, f.G_FLAKE, 20_000, f.evidence(),
         [(FLAKE_Q1, 10_000)])  # fmt: skip
    return w.model.shipments


def _accept(w: World) -> tuple[int, dict[str, Any]]:
    return f.P_BRAND, {"unit": "brand-dc", "shipment": _in_transit(w)}


def _reject(w: World) -> tuple[int, dict[str, Any]]:
    return f.P_BRAND, {"unit": "brand-dc", "shipment": _in_transit(w), "reason": "wrong grade"}


def _recall(w: World) -> tuple[int, dict[str, Any]]:
    return f.P_RECYCLER, {"unit": "recycling-plant", "shipment": _in_transit(w)}


def _settle(w: World) -> tuple[int, dict[str, Any]]:
    shipment = _in_transit(w)
    w.travel(w.now() + 3 * f.DAY + 1)
    return f.P_RESIN, {"shipment": shipment}


#: kind → the sample call of that write.
SAMPLES: dict[str, Sample] = {
    "inputs": _input,
    "conventional-inputs": _quantity,
    "productions": _quantity,
    "shipments": _shipment,
    "inventory-transfers": _inventory,
    "certificate-transfers": _certificates,
    "conversions": _conversion,
    "claims": _claim,
    "lapses": _lapse,
    "period-closes": _close,
    "acceptances": _accept,
    "rejections": _reject,
    "recalls": _recall,
    "settlements": _settle,
}
