"""The Sustainability Declaration of a shipment, from the chain record alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from indexer.lineage._lineage import Shipped
from indexer.verifier._declaration import declaration, to_markdown
from tests.indexer.test_verify import Scenario, build_scenario


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(Web3(EthereumTesterProvider(EthereumTester())))


def shipped(scenario: Scenario, shipment_id: int) -> Shipped:
    return next(
        e for e in scenario.record.events if isinstance(e, Shipped) and e.shipment_id == shipment_id
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
    # revoked after the dispatch: the certificate was valid when the glass left
    assert d["supplier"]["certificates"] == ["ISCC-PLUS-REC-001"]
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


def test_an_unknown_shipment_has_no_declaration(scenario: Scenario) -> None:
    with pytest.raises(LookupError, match="no shipment 42"):
        declaration(scenario.record, 42)
