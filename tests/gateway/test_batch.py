"""``POST /v1/batch``: many writes, one outcome each; ``dry_run`` stores nothing."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.gateway.conftest import Harness


def _production(doc: str, quantity: Any = 1_000) -> dict[str, Any]:
    return {
        "unit": "recycling-plant",
        "product_group": "pet-flakes",
        "quantity": quantity,
        "document_hash": "0x" + f.evidence(doc).hex(),
    }


def test_each_item_gets_its_own_outcome_and_keys_replay(harness: Harness) -> None:
    key = harness.key(f.P_RECYCLER)
    ops = [
        {"kind": "productions", "idempotency_key": "k1", "body": _production("a")},
        {"kind": "productions", "idempotency_key": "k2", "body": _production("b", 1.5)},
        {"kind": "productions", "body": {**_production("c"), "unit": "resin-a"}},
        {"kind": "conventional-inputs", "idempotency_key": "k4", "body": _production("d")},
    ]
    answer = harness.post("/v1/batch", {"operations": ops}, key)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [202, 422, 403, 202]
    assert (results[1]["code"], results[1]["field"]) == ("TN-GW-422-02", "quantity")
    assert (results[2]["error"], results[2]["field"]) == ("UnitNotOwned", "unit")
    assert harness.store.count_requests() == 2
    ids = [results[0]["id"], results[3]["id"]]
    ends = [harness.wait(i, key) for i in ids]
    assert {e["status"] for e in ends} == {"confirmed"}

    again = harness.post("/v1/batch", {"operations": [ops[0], ops[3]]}, key).json()["results"]
    assert [(r["status"], r["id"]) for r in again] == [(200, ids[0]), (200, ids[1])]
    looked = harness.post("/v1/batch/requests", {"ids": [*ids, "nope"]}, key).json()["requests"]
    assert [r["status"] for r in looked] == ["confirmed", "confirmed", "unknown"]
    assert all(r["tx_hash"].startswith("0x") and r["block_number"] > 0 for r in looked[:2])
    assert harness.store.count_requests() == 2


def test_a_dry_run_checks_every_item_and_stores_none(harness: Harness) -> None:
    key = harness.key(f.P_RECYCLER)
    ops = [
        {"kind": "productions", "idempotency_key": "d1", "body": _production("a")},
        {"kind": "productions", "body": {**_production("b"), "product_group": "no-such"}},
    ]
    answer = harness.post("/v1/batch", {"operations": ops, "dry_run": True}, key)
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [204, 422]
    assert results[1]["field"] == "product_group"
    assert harness.store.count_requests() == 0


def test_a_read_key_an_unknown_kind_and_an_empty_batch_are_refused(harness: Harness) -> None:
    read = harness.key(f.P_RECYCLER, scope="read")
    one = {"kind": "productions", "body": _production("a")}
    assert harness.post("/v1/batch", {"operations": [one]}, read).json()["error"] == (
        "ScopeInsufficient"
    )
    write = harness.key(f.P_RECYCLER)
    bad = harness.post("/v1/batch", {"operations": [{**one, "kind": "mint"}]}, write)
    assert bad.status_code == 422 and bad.json()["field"] == "operations.0.kind"
    assert harness.post("/v1/batch", {"operations": []}, write).status_code == 422
    assert harness.store.count_requests() == 0
