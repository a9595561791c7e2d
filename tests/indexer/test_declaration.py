"""The Sustainability Declaration of a shipment, from the chain record alone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests import factories as f
from tests.indexer.test_verify import Scenario, build_scenario
from tests.indexer.test_verify_custody import CERT_BRAND, CERT_RESIN_COC, build_custody_record
from tracenet.contracts import Custody
from tracenet.contracts import records as R
from tracenet.indexer.errors import DeclarationRefusedError
from tracenet.indexer.mirror._decode import Event, EventRef
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._declaration import declaration, to_markdown


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(Web3(EthereumTesterProvider(EthereumTester())))


def shipped(scenario: Scenario, shipment_id: int) -> Event[R.Shipped]:
    return next(
        Event(e.ref, e.record)
        for e in scenario.record.events
        if isinstance(e.record, R.Shipped) and e.record.shipment_id == shipment_id
    )


def test_a_resin_shipment_declares_parties_product_share_and_upstream_factors(
    scenario: Scenario,
) -> None:
    d = declaration(scenario.record, 2)
    event = shipped(scenario, 2)
    assert d["supplier"]["name"] == "Resin maker" and d["supplier"]["unit"] == "Resin site A"
    assert d["supplier"]["certificates"] == ["ISCC-PLUS-RES-002"]
    assert d["recipient"]["name"] == "Brand" and d["recipient"]["certificates"] == []
    assert d["dispatch_address"] == "Somewhere 1, 1000 City"
    when = datetime.fromtimestamp(event.ref.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert d["dispatch_date"] == when
    assert (d["order_reference"], d["product"]) == ("PO-1", "rPET")
    assert d["product_group"] == {"id": 2, "name": "PET resin", "max_share_bps": 10_000}
    assert (d["quantity_g"], d["credits_g"], d["sustainable_share_bps"]) == (
        5_000_000,
        5_000_000,
        10_000,
    )
    (cls,) = d["classes"]
    assert cls["name"] == "rPET-resin" and cls["scheme"] == "ISCC PLUS"
    assert cls["chain_of_custody_model"] == "mass balance"
    assert cls["attribution_method"] == "credit method"
    assert (cls["raw_material"], cls["waste"]) == ("circular", False)
    (conversion,) = d["conversion_factors_upstream"]
    assert conversion["process"] == "Flake to resin" and conversion["yield_bps"] == 9_000
    assert conversion["factor_version"] == 0 and conversion["site"] == "Resin site A"
    assert sum(o["credits_g"] for o in d["origins"]) == 5_000_000
    assert d["transaction"]["tx_hash"] == event.ref.tx_hash
    assert d["transaction"]["ledger"] == scenario.world.ledger.address
    assert d["emission_factor_gco2e_per_kg"] == 1_000


def test_a_segregated_glass_shipment_under_its_cap(scenario: Scenario) -> None:
    d = declaration(scenario.record, 3)
    assert d["sustainable_share_bps"] == 1_000  # 2 t of credits on 20 t of glass
    assert d["product_group"]["max_share_bps"] == 3_500
    assert d["classes"][0]["chain_of_custody_model"] == "segregated"
    assert d["conversion_factors_upstream"] == []
    # suspended after the dispatch: the certificate was in force when the glass left, and the
    # declaration says what its body stated since (issue 20)
    assert d["supplier"]["certificates"] == ["ISCC-PLUS-REC-001"]
    (stated,) = d["supplier"]["certificate_status"]
    assert stated == {
        "number": "ISCC-PLUS-REC-001", "status": "suspended",
        "status_since": "2031-01-01T00:00:00Z", "status_reason": "audit: mass balance not kept",
        "stated_after_dispatch": True, "valid_until": "2032-12-31T00:00:00Z",
    }  # fmt: skip
    assert "ISCC-PLUS-REC-001 was valid at dispatch; suspended since 2031-01-01" in to_markdown(d)
    assert [(o["input_id"], o["credits_g"]) for o in d["origins"]] == [(3, 2_000_000)]
    # 2 t at 1 000 gCO2e/kg and 18 t at 3 000, per kg of the 20 t
    assert d["emission_factor_gco2e_per_kg"] == 2_800


def test_flakes_declare_their_pro_rata_origins(scenario: Scenario) -> None:
    d = declaration(scenario.record, 1)
    assert [(o["input_id"], o["credits_g"]) for o in d["origins"]] == [
        (1, 4_285_714),
        (2, 1_714_286),
    ]


def test_the_markdown_document_carries_every_field(scenario: Scenario) -> None:
    text = to_markdown(declaration(scenario.record, 2))
    for expected in (
        "# Sustainability Declaration SD-",
        "## Supplier",
        "Resin maker — Resin site A",
        "Certificates: ISCC-PLUS-RES-002",
        "Order reference: PO-1",
        "Physical quantity: 5 000 000 g (5.000 t)",
        "Sustainable share: 100.00 %",
        "Chain of custody: mass balance, credit method",
        "Raw material: circular; waste or residue: no",
        "Flake to resin at Resin site A: v0, yield 90.00 %",
        shipped(scenario, 2).ref.tx_hash,
    ):
        assert expected in text


def test_a_conventional_delivery_declares_no_credits_and_a_zero_share(scenario: Scenario) -> None:
    """Shipment 4 carries no credit lines: its SD states 0 g, 0 % and nothing upstream."""
    event = shipped(scenario, 4)
    d = declaration(scenario.record, 4)
    assert (d["declaration"], d["shipment_id"]) == (f"SD-{scenario.record.chain_id}-4", 4)
    assert (d["quantity_g"], d["credits_g"], d["sustainable_share_bps"]) == (3_000_000, 0, 0)
    assert d["lines"] == d["classes"] == d["origins"] == d["rolling_average"] == []
    assert d["conversion_factors_upstream"] == [] and d["custody"] == []
    assert d["emission_factor_gco2e_per_kg"] is None
    assert d["transaction"]["tx_hash"] == event.ref.tx_hash
    assert d["supplier"]["name"] == scenario.record.parties[f.P_RESIN].name
    text = to_markdown(d)
    for expected in (
        "- Physical quantity: 3 000 000 g (3.000 t)",
        "- Credits carried: 0 g (0.000 t) (a conventional delivery: no credits, no sustainable "
        "share claimed)",
        "- Sustainable share: 0.00 %",
        "- Emission factor: not stated (no credit class: a conventional delivery)",
        "## Origin\n- none: no credits carried",
    ):
        assert expected in text


def test_an_unknown_shipment_has_no_declaration(scenario: Scenario) -> None:
    with pytest.raises(LookupError, match="no shipment 42"):
        declaration(scenario.record, 42)


# ---- issue 13: the certified chain of custody on the declaration ------------------------------


@pytest.fixture(scope="module")
def custody_record() -> ChainRecord:
    return build_custody_record()


def without(record: ChainRecord, *cert_ids: int) -> ChainRecord:
    kept = {k: v for k, v in record.certificates.items() if k not in cert_ids}
    return dataclasses.replace(record, certificates=kept)


def with_mode(record: ChainRecord, mode: Custody, ref: EventRef | None = None) -> ChainRecord:
    at = ref or EventRef(1, 0, "0x" + "00" * 32, 0)
    return dataclasses.replace(record, scheme_custody={f.S_PLUS: ((at, mode),)})


def test_both_parties_certificates_valid_at_dispatch(custody_record: ChainRecord) -> None:
    d = declaration(custody_record, 2)
    assert d["supplier"]["certificates"] == ["ISCC-PLUS-RES-COC-4"]
    # withdrawn after the dispatch: valid when the resin left, so it is the one printed
    assert d["recipient"]["certificates"] == ["ISCC-PLUS-BRAND-5"]
    assert d["custody"] == [
        {
            "class": "rPET-resin", "scheme": "ISCC PLUS", "scheme_id": f.S_PLUS,
            "custody": "certified", "custody_now": "certified",
            "supplier_certificate": "ISCC-PLUS-RES-COC-4",
            "recipient_certificate": "ISCC-PLUS-BRAND-5", "recipient_exempt": False, "notes": [],
        }
    ]  # fmt: skip
    assert not d["recipient_final_claimant"]
    # the flakes: the one certificate the ledger's rule finds (the latest covering), not every one
    assert declaration(custody_record, 1)["recipient"]["certificates"] == ["ISCC-PLUS-RES-COC-4"]
    text = to_markdown(d)
    assert (
        "ISCC PLUS requires a certified chain of custody (every holder certified): "
        "supplier ISCC-PLUS-RES-COC-4, recipient ISCC-PLUS-BRAND-5"
    ) in text


def test_no_declaration_for_an_uncertified_recipient(custody_record: ChainRecord) -> None:
    with pytest.raises(DeclarationRefusedError) as caught:
        declaration(without(custody_record, CERT_BRAND), 2)
    e = caught.value
    assert (e.code, e.status, e.error) == ("TN-IX-409-01", 409, "CustodyCertificateMissing")
    assert e.details["role"] == "recipient" and e.details["unit_id"] == f.U_BRAND
    assert e.details["reason"] == "CustodyCertificateMissing"
    assert "the recipient Brand (Brand DC) held no valid ISCC PLUS certificate" in e.message
    assert "for rPET-resin at dispatch" in e.message


def test_no_declaration_for_a_certificate_not_valid_at_dispatch(
    custody_record: ChainRecord,
) -> None:
    cert = dataclasses.replace(custody_record.certificates[CERT_BRAND], valid_until=f.START + 1)
    expired = dataclasses.replace(
        custody_record, certificates={**custody_record.certificates, CERT_BRAND: cert}
    )
    with pytest.raises(DeclarationRefusedError) as caught:
        declaration(expired, 2)
    assert caught.value.details["reason"] == "CertificateNotValid"
    assert caught.value.details["certificate"] == "ISCC-PLUS-BRAND-5"


def test_a_scheme_that_requires_custody_now_notes_an_older_uncertified_shipment(
    scenario: Scenario,
) -> None:
    """Issue 26: the bootstrap story ran before ISCC PLUS required custody; it requires it now.
    The ledger accepted the dispatch, and so does the verifier (a warning): the SD is issued
    with the same note, never refused for a rule that did not apply then."""
    late = EventRef(10**6, 0, "0x" + "00" * 32, 0)
    d = declaration(with_mode(scenario.record, Custody.certified, late), 2)
    (entry,) = d["custody"]
    assert (entry["custody"], entry["custody_now"]) == ("none", "certified")
    assert "the supplier Resin maker (Resin site A) held no valid" in entry["notes"][0]
    assert "(CertificateScopeClass ISCC-PLUS-RES-002)" in entry["notes"][0]
    assert declaration(scenario.record, 2)["custody"] == []
    # required at dispatch (a record the ledger would have refused to write): no SD
    with pytest.raises(DeclarationRefusedError) as caught:
        declaration(with_mode(scenario.record, Custody.certified), 2)
    assert caught.value.details["role"] == "supplier"  # its certificate lists flakes, not resin
    assert caught.value.details["reason"] == "CertificateScopeClass"


def test_the_final_claimant_exemption_is_stated(custody_record: ChainRecord) -> None:
    exempt = with_mode(without(custody_record, CERT_BRAND), Custody.certified_final_claimant_exempt)
    d = declaration(exempt, 2)
    assert d["recipient"]["certificates"] == [] and d["recipient_final_claimant"]
    assert d["custody"][0]["recipient_exempt"] and d["custody"][0]["recipient_certificate"] is None
    text = to_markdown(d)
    assert "Certificates: none valid at dispatch (final claimant, exempt)" in text
    assert "recipient uncertified final claimant, exempt under the scheme: it may claim these " in (
        text.replace("\n", " ")
    )
    # the supplier is never exempt
    with pytest.raises(DeclarationRefusedError) as caught:
        declaration(without(exempt, CERT_RESIN_COC), 2)
    assert caught.value.details["role"] == "supplier"
