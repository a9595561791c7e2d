"""``POST /v1/reports/sign``: the auditor's gateway signs a report with the auditor's key (the
key never leaves it); any other party, a read key, a report without its block are refused."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from tests import factories as f
from tests.gateway.conftest import Harness
from tracenet.wallet import canonical_json

REPORT: dict[str, Any] = {"report": "supply-audit", "class_id": 1, "period": "2031-Q1",
                          "as_of": {"block_number": 7},
                          "total": {"created_g": 10_000_000}}  # fmt: skip


def test_the_auditors_gateway_signs_a_report_with_the_auditors_key(harness: Harness) -> None:
    h = harness
    answer = h.post("/v1/reports/sign", {"report": REPORT}, h.key(f.P_AUDITOR))
    assert answer.status_code == 200, answer.text
    signed = answer.json()
    assert signed["report"] == REPORT
    sig = signed["signature"]
    assert sig["signer"] == h.world.cast.auditor and "EIP-191" in sig["scheme"]
    recovered = Account.recover_message(
        encode_defunct(primitive=canonical_json(REPORT)), signature=sig["signature"]
    )
    assert recovered == h.world.cast.auditor


def test_only_an_auditor_with_a_write_key_and_a_dated_report_is_signed(harness: Harness) -> None:
    h = harness
    member = h.post("/v1/reports/sign", {"report": REPORT}, h.key(f.P_RECYCLER))
    assert member.status_code == 403
    assert (member.json()["code"], member.json()["error"]) == ("TN-GW-403-03", "AccessRoleMissing")

    read_only = h.post("/v1/reports/sign", {"report": REPORT}, h.key(f.P_AUDITOR, "read"))
    assert read_only.status_code == 403 and read_only.json()["error"] == "ScopeInsufficient"

    undated = {k: v for k, v in REPORT.items() if k != "as_of"}
    no_block = h.post("/v1/reports/sign", {"report": undated}, h.key(f.P_AUDITOR))
    assert no_block.status_code == 422
    assert no_block.json()["field"] == "report.as_of.block_number"

    not_an_object = h.post("/v1/reports/sign", {"report": [1, 2]}, h.key(f.P_AUDITOR))
    assert not_an_object.status_code == 422 and not_an_object.json()["field"] == "report"
    assert h.post("/v1/reports/sign", {"report": REPORT}, None).status_code == 401
