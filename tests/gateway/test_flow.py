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
