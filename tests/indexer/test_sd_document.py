"""The Sustainability Declaration as a PDF and an HTML page: every printed field read back
from the PDF equals the chain record, the QR code decoded from the rendered page is the verify
link, and ``tracenet declaration check`` names the field a tampered document changed."""

from __future__ import annotations

import copy
import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

import tracenet.indexer.verifier._verify_cli as verify_cli
from tests.factories import S_PLUS
from tests.indexer.test_verify import Scenario, build_scenario
from tests.indexer.test_verify_custody import CERT_BRAND, build_custody_record
from tracenet.cli import main
from tracenet.contracts import Custody
from tracenet.contracts import records as R
from tracenet.indexer.mirror._decode import Event
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._public_ref import ref_of
from tracenet.indexer.verifier._sd_check import compare, read_sd, shipment_of
from tracenet.indexer.verifier._sd_document import render_html, render_pdf, sd_fields

CONSOLE = "https://console.example.org/tn"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(Web3(EthereumTesterProvider(EthereumTester())))


def shipped(scenario: Scenario, shipment_id: int) -> Event[R.Shipped]:
    return next(
        Event(e.ref, e.record)
        for e in scenario.record.events
        if isinstance(e.record, R.Shipped) and e.record.shipment_id == shipment_id
    )


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode()


@pytest.mark.parametrize("shipment_id", [1, 2, 3])
def test_every_field_read_from_the_pdf_is_the_chain_record(
    scenario: Scenario, shipment_id: int
) -> None:
    record, (ref, event) = scenario.record, shipped(scenario, shipment_id)
    d = declaration(record, shipment_id)
    fields = read_sd(render_pdf(d, CONSOLE))
    # every field of the template, in full, as the chain record gives it
    assert fields == dict(sd_fields(d, CONSOLE))
    # and those values are the chain's own (not only the renderer's view of them)
    supplier = record.units[event.from_unit_id]
    recipient = record.units[event.to_unit_id]
    group_name, max_share = record.product_groups[event.product_group_id]
    credits = sum(event.amounts)
    assert fields["Supplier"] == record.parties[supplier.party_id].name
    assert fields["Supplier address"] == fields["Dispatch address"] == supplier.location
    assert fields["Recipient"] == record.parties[recipient.party_id].name
    assert fields["Recipient site"] == f"{recipient.name} (unit {recipient.unit_id})"
    when = datetime.fromtimestamp(ref.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fields["Dispatch date"] == when
    assert fields["Contract or order reference"] == _text(event.order_ref)
    assert fields["Product"] == _text(event.product)
    assert fields["Product group"] == f"{group_name} (id {event.product_group_id})"
    assert fields["Quantity"] == f"{event.quantity} g"
    assert fields["Credits carried"] == f"{credits} g"
    share = credits * 10_000 // event.quantity
    assert fields["Sustainable share"] == f"{share // 100}.{share % 100:02d} %"
    assert fields["Maximum share of the group"] == f"{max_share // 100}.{max_share % 100:02d} %"
    assert fields["Delivery document hash"] == "0x" + event.document_hash.hex()
    assert fields["Transaction"] == ref.tx_hash
    assert fields["Block"] == str(ref.block_number)
    assert fields["Chain"] == str(record.chain_id)
    assert fields["Ledger contract"] == scenario.world.ledger.address
    ref = ref_of(record, "shipment", shipment_id)
    assert ref is not None and len(ref) == 32  # 128 bits, never the sequential id (issue 25)
    assert fields["Verify at"] == f"{CONSOLE}/verify/shipment/{ref}"


def test_a_conventional_delivery_prints_a_zero_share_and_no_credits(scenario: Scenario) -> None:
    d = declaration(scenario.record, 4)  # no credit lines
    fields = read_sd(render_pdf(d, CONSOLE))
    assert fields == dict(sd_fields(d, CONSOLE))
    assert fields["Quantity"] == "3000000 g" and fields["Sustainable share"] == "0.00 %"
    conventional = "0 g (a conventional delivery: no credits, no sustainable share claimed)"
    assert fields["Credits carried"] == conventional
    assert fields["Credit class"] == fields["Scheme"] == "none"
    assert fields["Extent of input compensation"] == "0.00 % of the quantity"
    assert fields["Emission factor of the delivery"] == (
        "not stated (no credit class: a conventional delivery)"
    )
    page = render_html(d, CONSOLE)
    assert f"<th scope=row>Credits carried</th><td>{conventional}</td>" in page
    assert "<th scope=row>Sustainable share</th><td>0.00 %</td>" in page
    assert all(c.ok for c in compare(fields, d, CONSOLE))


def test_the_resin_declaration_prints_class_scheme_model_and_upstream_factor(
    scenario: Scenario,
) -> None:
    fields = read_sd(render_pdf(declaration(scenario.record, 2), CONSOLE))
    assert fields["Supplier certificates"] == "ISCC-PLUS-RES-002"
    assert fields["Recipient certificates"] == "none"
    assert (fields["Credit class"], fields["Scheme"]) == ("rPET-resin", "ISCC PLUS")
    assert fields["Chain of custody model"] == "mass balance"
    assert fields["Attribution method"] == "credit method"
    assert (fields["Raw material category"], fields["Waste or residue"]) == ("circular", "no")
    assert fields["Conversion factors upstream"] == "Flake to resin at Resin site A v0 90.00 %"
    assert fields["Emission factor of the delivery"] == "1000 gCO2e/kg"
    assert fields["Multi-site transfer"] == "no"
    glass = read_sd(render_pdf(declaration(scenario.record, 3), CONSOLE))
    assert glass["Chain of custody model"] == "segregated"
    assert (
        glass["Sustainable share"] == "10.00 %" and glass["Conversion factors upstream"] == "none"
    )


def test_the_qr_code_on_the_rendered_page_is_the_verify_link(scenario: Scenario) -> None:
    d = declaration(scenario.record, 2)
    pdf = render_pdf(d, CONSOLE)
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        page = document[0]
        image = page.render(scale=2).to_pil()
        page.close()
    finally:
        document.close()
    codes = zxingcpp.read_barcodes(image)
    assert [(c.format, c.text) for c in codes] == [
        (zxingcpp.BarcodeFormat.QRCode, f"{CONSOLE}/verify/shipment/{d['public_ref']}")
    ]
    assert shipment_of(read_sd(pdf)) == (d["public_ref"], CONSOLE)


def test_the_html_page_labels_every_field_and_needs_no_outside_asset(scenario: Scenario) -> None:
    d = declaration(scenario.record, 2)
    page = render_html(d, CONSOLE)
    for label, value in sd_fields(d, CONSOLE):
        assert f"<th scope=row>{label}</th><td>" in page
        assert value.replace("&", "&amp;") in page
    assert "<svg" in page and f'<a href="{CONSOLE}/verify/shipment/{d["public_ref"]}">' in page
    assert "src=" not in page and "<link" not in page and "@import" not in page


def test_odd_text_is_escaped_in_html_and_replaced_not_dropped_in_pdf(scenario: Scenario) -> None:
    d = copy.deepcopy(declaration(scenario.record, 2))
    d["product"] = "<b>Bio-PET</b> ≥ 30 %"
    d["supplier"]["address"] = "Straße 1, 2000 Zürich"
    page = render_html(d, CONSOLE)
    assert "&lt;b&gt;Bio-PET&lt;/b&gt; ≥ 30 %" in page and "<b>Bio" not in page
    fields = read_sd(render_pdf(d, CONSOLE))
    assert fields["Product"] == "<b>Bio-PET</b> ? 30 %"  # outside Latin-1: '?', still compared
    assert fields["Supplier address"] == "Straße 1, 2000 Zürich"
    checks = {c.label: c.ok for c in compare(fields, d, CONSOLE)}
    assert all(checks.values())


def test_a_tampered_document_differs_in_exactly_the_changed_field(scenario: Scenario) -> None:
    real = declaration(scenario.record, 2)
    forged = copy.deepcopy(real)
    forged["quantity_g"] = real["quantity_g"] * 2
    fields = read_sd(render_pdf(forged, CONSOLE))
    bad = [c for c in compare(fields, real, CONSOLE) if not c.ok]
    assert [(c.label, c.document, c.chain) for c in bad] == [
        ("Quantity", f"{2 * real['quantity_g']} g", f"{real['quantity_g']} g")
    ]


def _cli(monkeypatch: pytest.MonkeyPatch, scenario: Scenario, *args: str) -> int:
    monkeypatch.setattr(verify_cli, "_read", lambda _args: scenario.record)
    return main(["declaration", *args])


def test_declaration_document_and_check_on_the_command_line(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    pdf, page = tmp_path / "sd.pdf", tmp_path / "sd.html"
    args = ("document", "2", "--pdf", str(pdf), "--html", str(page), "--console-url", CONSOLE)
    assert _cli(monkeypatch, scenario, *args) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and "<!doctype html>" in page.read_text()
    capsys.readouterr()
    assert _cli(monkeypatch, scenario, "check", str(pdf)) == 0
    out = capsys.readouterr().out
    assert "shipment 2: 38 fields match, 0 differ" in out

    forged = copy.deepcopy(declaration(scenario.record, 2))
    forged["order_reference"] = "PO-999"
    (tmp_path / "forged.pdf").write_bytes(render_pdf(forged, CONSOLE))
    assert _cli(monkeypatch, scenario, "check", str(tmp_path / "forged.pdf")) == 1
    out = capsys.readouterr().out
    assert "MISMATCH  Contract or order reference: document 'PO-999', chain 'PO-1'" in out
    assert "37 fields match, 1 differ" in out

    other = copy.deepcopy(forged)
    other["public_ref"] = "ab" * 16  # a link to a shipment this chain does not have
    (tmp_path / "other.pdf").write_bytes(render_pdf(other, CONSOLE))
    assert _cli(monkeypatch, scenario, "check", str(tmp_path / "other.pdf")) == 1
    assert f"no shipment on this chain has the reference {'ab' * 16}" in capsys.readouterr().err
    (tmp_path / "junk.pdf").write_bytes(b"not a pdf")
    assert _cli(monkeypatch, scenario, "check", str(tmp_path / "junk.pdf")) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracenet: error:") and err.count("\n") == 1
    assert _cli(monkeypatch, scenario, "document", "2") == 2


def test_the_custody_certification_is_printed_and_read_back(scenario: Scenario) -> None:
    plain = dict(sd_fields(declaration(scenario.record, 2), CONSOLE))
    assert plain["Chain of custody certification"] == "not required by the scheme"
    record = build_custody_record()
    d = declaration(record, 2)
    fields = read_sd(render_pdf(d, CONSOLE))
    assert fields["Supplier certificates"] == "ISCC-PLUS-RES-COC-4"
    assert fields["Recipient certificates"] == "ISCC-PLUS-BRAND-5"
    assert fields["Chain of custody certification"].startswith(
        "ISCC PLUS requires a certified chain of custody (every holder certified): supplier "
        "ISCC-PLUS-RES-COC-4, recipient ISCC-PLUS-BRAND-5"
    )
    assert all(c.ok for c in compare(fields, d, CONSOLE))
    # a final claimant the scheme exempts: the document says what applies
    [(ref, _)] = record.scheme_custody[S_PLUS]
    exempt = dataclasses.replace(
        record,
        scheme_custody={S_PLUS: ((ref, Custody.certified_final_claimant_exempt),)},
        certificates={k: v for k, v in record.certificates.items() if k != CERT_BRAND},
    )
    fields = dict(sd_fields(declaration(exempt, 2), CONSOLE))
    assert fields["Recipient certificates"] == "none (final claimant, exempt)"
    assert fields["Chain of custody certification"].endswith(
        "recipient uncertified final claimant, exempt under the scheme: it may claim these "
        "credits, never pass them on"
    )


def test_no_document_for_a_shipment_without_custody_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = build_custody_record()
    bare = dataclasses.replace(
        record, certificates={k: v for k, v in record.certificates.items() if k != CERT_BRAND}
    )
    monkeypatch.setattr(verify_cli, "_read", lambda _args: bare)
    pdf = tmp_path / "sd.pdf"
    assert main(["declaration", "document", "2", "--pdf", str(pdf)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tracenet: error: CustodyCertificateMissing (TN-IX-409-01): ")
    assert "recipient Brand (Brand DC)" in err and err.count("\n") == 1
    assert not pdf.exists()
    assert main(["declaration", "shipment", "2"]) == 1
    assert "CustodyCertificateMissing (TN-IX-409-01)" in capsys.readouterr().err
    assert main(["declaration", "shipment", "1"]) == 0  # the flakes: both certified
