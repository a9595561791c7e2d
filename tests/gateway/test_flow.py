"""A write goes queued → signed → submitted → confirmed (or rejected), on eth-tester."""

from __future__ import annotations

from tests import factories as f
from tests.gateway.conftest import Harness


def _input(amount: int = 1_000_000) -> dict[str, object]:
    return {
        "unit": "recycling-plant",
        "class": "rpet-flake",
        "amount": amount,
        "certificate": f.CERT_RECYCLER,
        "evidence_hash": "0x" + f.evidence("in").hex(),
    }


def test_input_is_confirmed_with_its_events(harness: Harness) -> None:
    key = harness.key(f.P_RECYCLER)
    answer = harness.post("/v1/inputs", _input(), key)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", done
    events = [e["event"] for e in done["outcome"]["events"]]
    assert "InputRecorded" in events
    assert done["block_number"] > 0 and done["tx_hash"].startswith("0x")


def test_errors_md_is_the_code_table() -> None:
    from pathlib import Path

    from tracenet.gateway.errors import errors_document

    text = (Path(__file__).parents[2] / "gateway" / "ERRORS.md").read_text()
    assert text == errors_document(), "regenerate: tracenet gateway errors > gateway/ERRORS.md"


def test_same_key_same_body_is_the_same_request(harness: Harness) -> None:
    key = harness.key(f.P_RECYCLER)
    body = _input()
    first = harness.post("/v1/inputs", body, key, **{"Idempotency-Key": "same"})
    again = harness.post("/v1/inputs", body, key, **{"Idempotency-Key": "same"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert harness.store.count_requests() == 1


def test_a_revert_on_chain_ends_rejected_with_the_decoded_error(harness: Harness) -> None:
    # Both claims pass validation against the same (cached) balance; the chain takes only one.
    w = harness.world
    receipt = w.ok(
        "record_input", w.cast.recycler, f.C_FLAKE, 1_000_000, f.CERT_RECYCLER, f.evidence()
    )
    (event,) = w.events(receipt, "InputRecorded")
    key = harness.key(f.P_RECYCLER)
    claim = {
        "unit": 1,
        "lines": [{"token_id": str(event["tokenId"]), "amount": 600_000}],
        "beneficiary": "Brand",
        "product": "bottle",
        "purpose": "recycled",
    }
    answers = [harness.post("/v1/claims", claim, key) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    ends = [harness.wait(a.json()["id"], key) for a in answers]
    assert sorted(e["status"] for e in ends) == ["confirmed", "rejected"]
    (rejected,) = [e for e in ends if e["status"] == "rejected"]
    assert rejected["outcome"]["error"] == "CreditsInsufficient"
    assert rejected["outcome"]["args"]["required"] == 600_000


def test_nonces_are_consecutive_per_signer_and_persisted(harness: Harness) -> None:
    key = harness.key(f.P_RECYCLER)
    ids = [harness.post("/v1/inputs", _input(1_000 + n), key).json()["id"] for n in range(6)]
    ends = [harness.wait(i, key) for i in ids]
    nonces = sorted(e["nonce"] for e in ends)
    assert nonces == list(range(nonces[0], nonces[0] + 6))
    assert {e["status"] for e in ends} == {"confirmed"}
    assert harness.store.nonces()[ends[0]["signer"]] == nonces[-1] + 1


def test_a_write_answers_202_with_where_to_follow_it_and_a_replay_200(harness: Harness) -> None:
    """One write path (the catalog's route; the fast path is gone): 202 with the request's
    links and Location, the same Idempotency-Key and body 200 with the same request, a body the
    model refuses 422 naming the field."""
    key = harness.key(f.P_RECYCLER)

    def body(tag: str, amount: int = 1_000) -> dict[str, object]:
        return _input(amount) | {"evidence_hash": "0x" + f.evidence(tag).hex()}

    first = body("first")
    accepted = harness.post("/v1/inputs", first, key, **{"Idempotency-Key": "first"})
    replay = harness.post("/v1/inputs", first, key, **{"Idempotency-Key": "first"})
    refused = harness.post("/v1/inputs", body("zero", 0), key)
    assert (accepted.status_code, replay.status_code) == (202, 200)
    assert replay.json()["id"] == accepted.json()["id"]  # its status: wherever the pipeline is
    assert replay.headers["location"] == accepted.headers["location"]
    doc = accepted.json()
    assert set(doc) == {"id", "status", "status_url", "events_url"}
    assert doc["status"] == "queued" and doc["status_url"] == f"/v1/requests/{doc['id']}"
    assert doc["events_url"] == doc["status_url"] + "/events"
    assert accepted.headers["location"] == doc["status_url"]
    assert accepted.headers["content-type"] == "application/json"
    assert refused.status_code == 422 and refused.json()["field"] == "amount", refused.text
    assert harness.store.count_requests() == 1
    assert harness.wait(doc["id"], key)["status"] == "confirmed"
