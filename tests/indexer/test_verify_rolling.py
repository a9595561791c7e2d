"""R8, the rolling average percentage (issue 10), verified from the chain record alone: the share
of each shipment and claim is recomputed from the unit's recorded inputs over the class's window
and must agree with what the ledger stated; the Sustainability Declaration states it."""

from __future__ import annotations

import dataclasses

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests import factories as f
from tracenet.indexer.verifier._chainread import ChainRecord, read_chain
from tracenet.indexer.verifier._declaration import declaration, to_markdown
from tracenet.indexer.verifier._verify import Verdict, verify

T = 1_000_000


@pytest.fixture(scope="module")
def record() -> ChainRecord:
    """Q1: 30 t certified + 70 t conventional at the recycler (30 %), 10 t shipped to the brand
    with 3 t. Q2: 20 t + 20 t more (window 50 of 140 t: 3 571 bps), 7 t shipped with 2 499 700 g.
    The brand's window: 5 499 700 g of 17 t (3 235 bps); it claims 4 t of crates: 1 294 000 g."""
    w = f.bootstrap(Web3(EthereumTesterProvider(EthereumTester())))
    f.add_rolling(w)
    c = w.cast
    w.travel(f.at(2031, 2, 1))
    q1 = f.m.token_id(f.C_ROLL, f.m.period_at(3, w.now()))
    w.ok("record_input", c.recycler, f.C_ROLL, 30 * T, f.CERT_ROLL, f.evidence())
    w.ok("record_conventional", c.recycler, f.G_PELLET, 70 * T, f.evidence())
    w.ok("ship", c.recycler, f.U_BRAND, f.G_PELLET, 10 * T, f.evidence(), [(q1, 3 * T)])
    w.travel(f.at(2031, 4, 2))
    q2 = f.m.token_id(f.C_ROLL, f.m.period_at(3, w.now()))
    w.ok("record_input", c.recycler, f.C_ROLL, 20 * T, f.CERT_ROLL, f.evidence())
    w.ok("record_conventional", c.recycler, f.G_PELLET, 20 * T, f.evidence())
    w.ok("ship", c.recycler, f.U_BRAND, f.G_PELLET, 7 * T, f.evidence(), [(q2, 2_499_700)])
    assert w.model.rolling_share(f.U_BRAND, f.C_ROLL, w.now())[1] == 3_235
    w.ok("claim_rolling", c.brand, f.C_ROLL, 4 * T, [(q1, 1_294_000)], "Acme Crates")
    return read_chain(w.w3, w.handle.deployment)


def rolling(verdict: Verdict) -> dict[str, tuple[bool, str]]:
    return {c.subject: (c.ok, c.detail) for c in verdict.checks if c.code == "rolling-share"}


def test_the_share_of_a_claim_and_its_shipments_recomputes(record: ChainRecord) -> None:
    verdict = verify(record, "claim", 1)
    assert verdict.ok, verdict.failures
    checks = rolling(verdict)
    assert set(checks) == {"shipment:1", "claim:1"}
    assert checks["shipment:1"] == (
        True,
        "rHDPE pellet: 30.00 % = 30000000 g sustainable of 100000000 g input in the window; "
        "3000000 g carried for 10000000 g, 3000000 g expected",
    )
    assert "32.35 % = 5499700 g sustainable of 17000000 g" in checks["claim:1"][1]


def test_a_window_over_two_quarters_recomputes(record: ChainRecord) -> None:
    verdict = verify(record, "shipment", 2)
    assert verdict.ok, verdict.failures
    ok, detail = rolling(verdict)["shipment:2"]
    assert ok and "35.71 % = 50000000 g sustainable of 140000000 g" in detail


def test_a_stated_share_the_inputs_do_not_back_fails(record: ChainRecord) -> None:
    stated = tuple(
        dataclasses.replace(a, share_bps=4_000) if a.operation_id == 2 else a
        for a in record.rolling
    )
    verdict = verify(dataclasses.replace(record, rolling=stated), "shipment", 2)
    assert {c.code for c in verdict.failures} == {"rolling-share"}
    assert "the ledger stated 4000 bps" in verdict.failures[0].detail


def test_a_conventional_input_left_out_changes_the_share(record: ChainRecord) -> None:
    fewer = dataclasses.replace(record, conventional=record.conventional[1:])
    verdict = verify(fewer, "shipment", 1)
    (failure,) = verdict.failures
    assert failure.code == "rolling-share" and "100.00 %" in failure.detail


def test_the_declaration_states_the_method_and_the_share(record: ChainRecord) -> None:
    d = declaration(record, 1)
    assert d["rolling_average"] == [
        {
            "class_id": f.C_ROLL, "name": "rHDPE pellet", "share_bps": 3_000,
            "window_sustainable_g": 30 * T, "window_total_g": 100 * T, "credits_g": 3 * T,
            "recomputed_from_chain": True,
        }
    ]  # fmt: skip
    (cls,) = d["classes"]
    assert cls["attribution_method"] == "rolling average percentage"
    text = to_markdown(d)
    assert "- Rolling average percentage (rHDPE pellet): 30.00 %, carried by every output" in text
    assert "recomputed from the chain" in text


def test_the_sd_document_has_a_rolling_average_field(record: ChainRecord) -> None:
    from tracenet.indexer.verifier._sd_document import sd_fields

    fields = dict(sd_fields(declaration(record, 1), "http://console.example"))
    assert fields["Attribution method"] == "rolling average percentage"
    assert fields["Rolling average percentage"] == (
        "rHDPE pellet: 30.00 % (30000000 g sustainable of 100000000 g input in the window; "
        "recomputed from the chain)"
    )


def test_the_sd_pdf_with_its_rolling_average_field_checks_against_the_chain(
    record: ChainRecord,
) -> None:
    from tracenet.indexer.verifier._sd_check import compare, read_sd
    from tracenet.indexer.verifier._sd_document import render_pdf

    d, url = declaration(record, 1), "http://console.example"
    checks = compare(read_sd(render_pdf(d, url)), d, url)
    assert [c.label for c in checks if not c.ok] == []
    assert "Rolling average percentage" in {c.label for c in checks}
