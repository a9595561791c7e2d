"""Each person's path through the console in headless Chromium, against a real network."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from playwright.sync_api import Page, Request, expect

from tests.console.conftest import shoot, sign_in
from tests.console.stack import P_AUDITOR, Stack
from tests.gateway.anvil_setup import wait_for
from tracenet.contracts import period_at, period_label
from tracenet.indexer.verifier._sd_check import read_sd, shipment_of
from tracenet.indexer.verifier._sd_document import render_pdf
from tracenet.wallet import LocalSigner, sign_report

pytestmark = pytest.mark.integration

PLANT, BRAND_DC, CERTIFICATE = "plant", "brand-dc", "ISCC-1"  # the number, as people know it
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def claim_id(stack: Stack) -> int:
    """A claim by the recycler, confirmed and mirrored."""
    row = stack.write("/v1/claims", {
        "unit": PLANT, "lines": [{"token_id": str(stack.world.token_id), "amount_g": 250_000}],
        "beneficiary": "Bottle buyer", "product": "rPET bottle", "purpose": "recycled content",
    })  # fmt: skip
    (claimed,) = [e for e in row["outcome"]["events"] if e["event"] == "Claimed"]
    ident = int(claimed["args"]["claimId"])
    stack.indexed(f"/v1/claims/{ident}/provenance", stack.auditor_key)
    return ident


@pytest.fixture(scope="module")
def claim_ref(stack: Stack, claim_id: int) -> str:
    """The claim's public reference: what its buyer's link carries (issue 25)."""
    ref: str = stack.indexed(f"/v1/claims/{claim_id}/reference", stack.auditor_key)["public_ref"]
    return ref


def external(page: Page, console_url: str) -> list[str]:
    seen: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith(console_url) and not request.url.startswith("data:"):
            seen.append(request.url)

    page.on("request", note)
    return seen


def test_buyer_opens_a_claim_link_and_sees_holds(
    page: Page, stack: Stack, claim_id: int, claim_ref: str
) -> None:
    outside = external(page, stack.console_url)
    page.goto(stack.console_url + "/")
    shoot(page, "home", phone=True)
    page.get_by_label("The reference or link on the Sustainability Declaration").fill(claim_ref)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/verify/claim/{claim_ref}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "holds")
    expect(page.locator("[data-view]")).to_have_attribute("data-view", "public")
    expect(page.locator(".verdict")).to_contain_text("holds")
    expect(page.locator("[data-public-custody]")).to_contain_text("certified point of origin")
    # the claimant (here the recycler itself) is named with its certificate by default; no
    # graph, no grams, no transaction of any step on the public view
    expect(page.locator("[data-public-custody]")).to_contain_text("ISCC-1")
    expect(page.locator("svg.graph")).to_have_count(0)
    page.get_by_text("Each rule checked").click()
    expect(page.get_by_role("cell", name="conservation")).to_be_visible()
    shoot(page, "verify-claim", phone=True)
    # the claimant itself, signed in: the full view, with the graph and the certificate
    sign_in(page, stack)
    page.goto(f"{stack.console_url}/verify/claim/{claim_ref}")
    expect(page.locator("[data-view]")).to_have_attribute("data-view", "full")
    expect(page.locator("svg.graph")).to_be_visible()
    expect(page.get_by_role("cell", name="ISCC-1").first).to_be_visible()
    page.get_by_role("link", name="The conversion chain step by step").click()
    page.wait_for_url(f"**/chain/claim/{claim_ref}")
    steps = page.locator("[data-step]")
    expect(steps.first).to_have_attribute("data-step", "input:1")  # from the certified input
    expect(steps.last).to_have_attribute("data-step", f"claim:{claim_id}")  # to the claim
    expect(page.locator("[data-step-verdict=fails]")).to_have_count(0)
    expect(steps.first).to_have_attribute("data-step-verdict", "holds")
    expect(steps.first).to_contain_text("ISCC-1")
    shoot(page, "chain-claim", phone=True)
    assert outside == []


def test_unknown_claim_is_a_clear_404(page: Page, stack: Stack, claim_id: int) -> None:
    for path in ("/verify/claim/999999", f"/verify/claim/{claim_id}", "/verify/claim/" + "a" * 32):
        response = page.goto(stack.console_url + path)
        assert response is not None and response.status == 404  # an id opens nothing (issue 25)
        expect(page.locator(".field-error")).to_contain_text("reference of 32 characters")
    page.goto(stack.console_url + "/search?q=bottle")
    expect(page.locator(".field-error")).to_contain_text("reference of 32 characters")
    shoot(page, "search-error")


def _document(tmp_path: Path, name: str) -> Path:
    """A file a clerk has at hand (a scanned ticket, a delivery note)."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode() + b" 6 t rPET flakes")
    return path


def test_party_records_an_input_ships_it_and_sees_it_confirm_live(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    """Issue 21: the recycler's clerk types as a newcomer does — names as the console shows
    them, "6 t", a chosen file, credits picked from the balance — and succeeds first try."""
    page.set_viewport_size(DESKTOP)  # screenshots at 1280 px (and 390 px: phone)
    outside = external(page, stack.console_url)
    sign_in(page, stack)
    shoot(page, "party", phone=True)
    page.goto(stack.console_url + "/party/operations")
    shoot(page, "operations")
    page.get_by_role("link", name="Record a certified input").click()
    expect(page.get_by_label("Acting unit")).to_have_value("Plant")  # the party's own unit
    expect(page.locator("#dl-class option[value='rPET-flake']")).to_have_count(1)
    page.get_by_label("Credit class").fill("rPET-flake")  # the display name, not a key
    page.get_by_label("Amount", exact=True).fill("6 t")
    page.get_by_label("Certificate", exact=True).fill(CERTIFICATE)
    ticket = _document(tmp_path, "weighbridge-ticket.pdf")
    page.get_by_label("Evidence document", exact=False).set_input_files(str(ticket))
    shoot(page, "form-input-filled", phone=True)
    page.get_by_role("button", name="Send").click()
    accepted = page.locator(".accepted")
    expect(accepted).to_contain_text("Accepted by your gateway")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(accepted.locator("[data-status]")).to_have_text("confirmed", timeout=180_000)
    expect(accepted.locator("[data-block]")).to_contain_text("block")
    shoot(page, "input-confirmed")
    rid = accepted.get_attribute("data-request-id")
    with stack.gateway() as gw:  # the file's SHA-256, computed by the console, was sent
        sent = gw.get(f"/v1/requests/{rid}").json()
    assert hashlib.sha256(ticket.read_bytes()).hexdigest() in json.dumps(sent)

    page.goto(stack.console_url + "/party/operations/ship")
    expect(page.get_by_label("Acting unit")).to_have_value("Plant")
    expect(page.locator("#dl-to_unit option[value='Brand DC']")).to_have_count(1)
    for label, value in (
        ("Recipient unit", "Brand DC"), ("Product group", "PET flakes"),
        ("Physical quantity", "6 t"), ("Order reference", "PO-4711"), ("Product", "rPET flakes"),
    ):  # fmt: skip
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Delivery document").set_input_files(
        str(_document(tmp_path, "delivery-note-4711.pdf"))
    )
    holding = page.locator("tr[data-holding^='rPET-flake']").first
    expect(holding).to_contain_text(" t")  # held, in tonnes
    expect(page.get_by_text(str(stack.world.token_id))).to_have_count(0)  # no token id shown
    holding.get_by_role("textbox").fill("6 t")  # a line picked from the balance
    shoot(page, "form-ship-filled", phone=True)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator(".accepted [data-status]")).to_have_text("confirmed", timeout=180_000)
    shoot(page, "ship-confirmed")

    page.goto(stack.console_url + "/party/requests")
    expect(page.locator("[data-live-requests] tbody tr").first).to_be_visible()
    shoot(page, "requests")
    page.goto(stack.console_url + "/party/shipments")
    link = page.get_by_role("link", name="SD and provenance").first
    expect(link).to_be_visible()
    shoot(page, "shipments")
    link.click()
    expect(page.get_by_role("heading", name="Sustainability Declaration")).to_be_visible()
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "holds")
    shoot(page, "verify-shipment", phone=True)
    assert outside == []


def test_the_admin_registers_a_party_with_roles_ticked_and_its_lei(
    page: Page, stack: Stack
) -> None:
    """Issue 21: roles as checkboxes, an LEI as the identifier; first try."""
    page.set_viewport_size(DESKTOP)  # screenshots at 1280 px (and 390 px: phone)
    sign_in(page, stack, party="admin", gateway_key=stack.admin_gateway_key,
            indexer_key=stack.admin_indexer_key, lands="**/party/registry/parties")  # fmt: skip
    page.get_by_role("link", name="Register a party").click()
    page.get_by_label("Name", exact=True).fill("Green Bottles BV")
    page.get_by_label("member", exact=True).check()
    page.get_by_label("origin", exact=True).check()
    page.get_by_label("Kind").select_option(label="LEI (20 characters, ISO 17442)")
    page.get_by_label("Number").fill("5299000J2N45DDNE4Y28")
    shoot(page, "form-party-filled", phone=True)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator(".accepted [data-status]")).to_have_text("confirmed", timeout=180_000)
    shoot(page, "party-registered")

    def registered() -> dict[str, Any] | None:
        rows = stack.indexed("/v1/registry/parties", stack.admin_indexer_key)["rows"]
        return next((r for r in rows if r["name"] == "Green Bottles BV"), None)

    row = wait_for(registered, timeout=120, what="the new party mirrored")
    assert row["roles"] == ["member", "origin"]  # by name (issue 18)
    lei = "0x" + hashlib.sha256(b"LEI:5299000J2N45DDNE4Y28").hexdigest()
    assert str(row["identifier"]).lower() == lei


def test_the_gateway_takes_the_display_names_the_console_shows(stack: Stack) -> None:
    """Issue 21: ``Plant`` and ``Brand DC`` (the chain's names) work in the API as the keys
    do; an unknown name is still the chain's UnitUnknown naming the field."""
    row = stack.write("/v1/shipments", {
        "unit": "Plant", "to_unit": "brand dc", "product_group": "PET flakes",
        "quantity": 1_000, "document_hash": "0x" + "d1" * 32, "order_ref": "PO-names",
        "product": "flakes", "lines": [{"token_id": str(stack.world.token_id), "amount": 100}],
    })  # fmt: skip
    assert row["status"] == "confirmed"  # (stack.write waits for it)
    with stack.gateway() as gw:
        close = {"unit": "Plant", "class": "No such class", "physical_stock": 0}
        refused = gw.post("/v1/period-closes", json=close)
    assert refused.status_code == 422 and refused.json()["field"] == "class", refused.text


def test_a_bad_form_value_shows_the_field_error(page: Page, stack: Stack) -> None:
    page.set_viewport_size(DESKTOP)  # screenshots at 1280 px (and 390 px: phone)
    sign_in(page, stack)
    page.goto(stack.console_url + "/party/operations/input")
    page.get_by_label("Credit class").fill("rPET-flake")
    page.get_by_label("Amount", exact=True).fill("1.5 g")
    page.get_by_label("Certificate", exact=True).fill("")
    page.get_by_role("button", name="Send").click()
    # every field at fault at once, each a sentence beside it, what was typed kept
    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("data-errors", "3")
    expect(page.locator("#f-amount-error")).to_contain_text("whole number of grams")
    expect(page.locator("#f-certificate-error")).to_contain_text("Certificate is required.")
    expect(page.locator("#f-evidence_hash-error")).to_contain_text("Choose the document's file")
    expect(page.get_by_label("Amount", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Amount", exact=True)).to_have_value("1.5 g")
    expect(page.get_by_label("Credit class")).to_have_value("rPET-flake")
    expect(page.locator(".accepted")).to_have_count(0)
    shoot(page, "input-field-error", phone=True)

    page.get_by_label("Amount", exact=True).fill("1 kg")
    page.get_by_label("Certificate", exact=True).fill(CERTIFICATE)
    page.get_by_text("All fields: the document's hash").click()
    page.get_by_label("SHA-256 hash of the document").fill("0x" + "ef" * 32)  # typed still works
    page.get_by_label("Acting unit").fill("Brand DC")
    page.get_by_role("button", name="Send").click()
    beside_unit = page.locator("#f-unit-error")  # the chain's rule, beside the unit field
    expect(beside_unit).to_contain_text("UnitNotOwned")
    expect(beside_unit).to_contain_text("brand-dc")
    shoot(page, "input-foreign-unit")

    # A rolling-average claim (issue 10) of a credit-method class: refused beside the class.
    page.goto(stack.console_url + "/party/operations")
    page.get_by_role("link", name="Claim a rolling-average share").click()
    for label, value in (
        ("Credit class", "rPET-flake"), ("Claimed product quantity", "1 t"),
        ("Beneficiary", "Bottle buyer"), ("Product", "rPET bottle"),
        ("Purpose", "recycled content"),
    ):  # fmt: skip
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#f-class-error")).to_contain_text("RollingClassRequired")
    expect(page.locator("#f-class-error")).to_contain_text("credit method")
    shoot(page, "claim-rolling-credit-class")


def _upload(page: Page, stack: Stack, path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document))
    page.goto(f"{stack.console_url}/audit")
    page.get_by_label("Signed report (JSON)").set_input_files(str(path))
    page.get_by_role("button", name="Verify").click()


def test_auditor_signs_downloads_and_verifies_a_report_and_refuses_a_tampered_one(
    page: Page, stack: Stack, claim_id: int, tmp_path: Any
) -> None:
    # An auditor (no member role) lands on the supply audit.
    sign_in(page, stack, indexer_key=stack.auditor_key, party="auditor",
            gateway_key=stack.auditor_gateway_key, lands="**/audit")  # fmt: skip
    period = period_at(3, stack.w3.eth.get_block("latest")["timestamp"])
    page.goto(f"{stack.console_url}/audit?class_id=1&period=index:{period}")
    expect(page.locator("[data-reconciles]")).to_have_attribute("data-reconciles", "true")
    expect(page.locator("svg.chart")).to_be_visible()
    # opened from a link with the period's index: the field shows its label, units their names
    expect(page.get_by_label("Period")).to_have_value(period_label(3, period))
    expect(page.locator("td[data-unit='1']")).to_have_text("Plant (unit 1)")
    shoot(page, "audit", phone=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="JSON").click()
    report = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert report["class_id"] == 1 and report["reconciles"] is True
    with page.expect_download() as csv_info:
        page.get_by_role("link", name="CSV").click()
    assert "created_g" in Path(csv_info.value.path()).read_text(encoding="utf-8")

    # The auditor's gateway signs with the auditor's key; the console only carries the report.
    page.get_by_role("button", name="Sign this report").click()
    address = stack.auditor_account.address
    expect(page.locator("[data-signed]")).to_have_attribute("data-signed", address)
    shoot(page, "audit-signed")
    with page.expect_download() as signed_info:
        page.get_by_role("link", name="Download the signed report (JSON)").click()
    signed = json.loads(Path(signed_info.value.path()).read_text(encoding="utf-8"))
    assert signed["signature"]["signer"] == address

    _upload(page, stack, tmp_path / "signed.json", signed)
    expect(page.locator("[data-report]")).to_have_attribute("data-report", "valid")
    expect(page.locator("[data-report]")).to_contain_text(address)
    expect(page.locator("[data-party]")).to_contain_text(f"party {P_AUDITOR}")
    shoot(page, "audit-verified")

    tampered = json.loads(json.dumps(signed))
    tampered["report"]["total"]["claimed_g"] += 1  # a number changed after signing
    _upload(page, stack, tmp_path / "tampered.json", tampered)
    expect(page.locator("[data-report]")).to_have_attribute("data-report", "refused")
    expect(page.locator("table")).to_contain_text("SignatureInvalid")
    shoot(page, "audit-refused")

    # Re-signed by the auditor: the signature holds, the figures do not.
    _upload(page, stack, tmp_path / "resigned.json",
            sign_report(tampered["report"], stack.auditor_account))  # fmt: skip
    expect(page.locator("[data-report]")).to_have_attribute("data-report", "refused")
    expect(page.locator("table")).to_contain_text("ReportFiguresDiffer")
    expect(page.locator("table")).to_contain_text("total")

    # Signed by a key of no auditor: refused on chain, whatever the figures.
    _upload(page, stack, tmp_path / "stranger.json",
            sign_report(report, LocalSigner(Account.create())))  # fmt: skip
    expect(page.locator("[data-report]")).to_have_attribute("data-report", "refused")
    expect(page.locator("table")).to_contain_text("SignerNotAuditor")
    expect(page.get_by_role("cell", name="not checked")).to_be_visible()  # the figures
    shoot(page, "audit-not-auditor")


def test_a_buyer_party_sees_the_shipments_it_received_with_their_credits(
    page: Page, stack: Stack
) -> None:
    row = stack.write("/v1/shipments", {
        "unit": PLANT, "to_unit": BRAND_DC, "product_group": "pet-flakes", "quantity_g": "2000000",
        "document_hash": "0x" + "5e" * 32, "order_ref": "PO-IN-1", "product": "rPET flakes",
        "lines": [{"token_id": str(stack.world.token_id), "amount_g": "700000"}],
    })  # fmt: skip
    (shipped,) = [e for e in row["outcome"]["events"] if e["event"] == "Shipped"]
    ident = int(shipped["args"]["shipmentId"])
    stack.indexed(f"/v1/shipments/{ident}/provenance", stack.brand_indexer_key)
    sign_in(page, stack, party="brand", gateway_key=stack.brand_gateway_key,
            indexer_key=stack.brand_indexer_key)  # fmt: skip
    page.goto(stack.console_url + "/party/shipments")
    received = page.locator("[data-shipments=in] tr", has_text="PO-IN-1")
    expect(received).to_contain_text("700\u202f000\u00a0g")  # the credits it carries
    expect(received).to_contain_text("35.00 %")
    expect(page.locator("[data-shipments=out]")).to_have_count(0)
    shoot(page, "shipments-received", phone=True)
    received.get_by_role("link", name="SD and provenance").click()
    ref = stack.indexed(f"/v1/shipments/{ident}/reference", stack.brand_indexer_key)["public_ref"]
    page.wait_for_url(f"**/verify/shipment/{ref}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "holds")
    expect(page.locator("[data-view]")).to_have_attribute("data-view", "full")
    sd = page.locator("[data-sd-number]")  # the declaration laid out, read from the chain
    expect(sd.locator("[data-sd-share]")).to_have_attribute("data-sd-share", "3500")
    expect(sd).to_contain_text("35.00 %")
    expect(sd).to_contain_text("2\u202f000\u202f000\u00a0g")
    shoot(page, "shipment-sd", phone=True)
    with page.expect_download() as sd_pdf:  # the SD itself, read with the brand's own key
        page.locator("[data-sd=pdf]").click()
    assert Path(sd_pdf.value.path()).read_bytes().startswith(b"%PDF")
    assert sd_pdf.value.suggested_filename.endswith(f"-{ident}.pdf")


def test_reports_and_signed_out_pages(page: Page, stack: Stack) -> None:
    page.goto(stack.console_url + "/party")
    page.wait_for_url("**/signin**")
    shoot(page, "signin", phone=True)
    page.get_by_label("Party").select_option("recycler")
    page.get_by_label("Gateway API key").fill("tn_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#gateway_key-error")).to_be_visible()
    shoot(page, "signin-error")
    sign_in(page, stack)
    period = period_at(3, stack.w3.eth.get_block("latest")["timestamp"])
    page.goto(
        f"{stack.console_url}/party/reports?report=statement&unit=1&class_id=1"
        f"&period={period_label(3, period)}"
    )
    expect(page.locator("section table.kv").first).to_contain_text("balanced")
    shoot(page, "report-statement")
    # The recycler sees the forms of its roles only (member, origin): no registry forms.
    page.goto(f"{stack.console_url}/party/operations")
    expect(page.locator("[data-roles]")).to_have_attribute("data-roles", "member origin")
    expect(page.get_by_role("link", name="Record a certified input")).to_be_visible()
    expect(page.get_by_role("link", name="Register a certificate")).to_have_count(0)
    response = page.goto(f"{stack.console_url}/party/operations/certificate")
    assert response is not None and response.status == 403
    expect(page.locator(".error")).to_contain_text("needs the certifier role")
    page.get_by_role("button", name="Sign out (recycler)").click()
    page.wait_for_url(stack.console_url + "/")

    # The certification body lands on the certificates; its forms show what is registered.
    certificates = "**/party/registry/certificates"
    sign_in(page, stack, party="certifier", gateway_key=stack.certifier_gateway_key,
            indexer_key=stack.certifier_indexer_key, lands=certificates)  # fmt: skip
    expect(
        page.locator("[data-listing=certificates]").get_by_role("cell", name="ISCC-1")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Register a certificate")).to_be_visible()
    shoot(page, "registry-certificates", phone=True)
    page.goto(f"{stack.console_url}/party/operations")
    expect(page.get_by_role("link", name="Record a certified input")).to_have_count(0)
    expect(page.get_by_role("link", name="Register a party")).to_have_count(0)
    shoot(page, "operations-certifier")
    page.goto(f"{stack.console_url}/party/operations/certificate")
    listing = page.locator("[data-listing=certificates]")
    expect(listing.get_by_role("cell", name="ISCC-1")).to_be_visible()
    shoot(page, "form-certificate-listing", phone=True)
    page.goto(f"{stack.console_url}/party/registry/classes")
    expect(page.locator("[data-listing=classes]")).to_contain_text("rPET-flake")
    classes = page.locator("[data-listing=classes]")
    flake = classes.locator("tr", has_text="rPET-flake")
    expect(flake).to_contain_text("mass_balance")  # contracts.Model, not 0
    expect(flake).to_contain_text("circular")  # contracts.RawMaterial, not 0
    expect(classes.locator("th", has_text="modelName")).to_have_count(0)
    shoot(page, "registry-classes")
    page.get_by_role("button", name="Sign out (certifier)").click()
    page.wait_for_url(stack.console_url + "/")
    page.goto(stack.console_url + "/party/operations")
    page.wait_for_url("**/signin**")


def test_a_console_verifies_a_claim_link_with_no_key_of_its_own(
    stack: Stack, claim_ref: str
) -> None:
    """The verdict and its chain of custody are public: the buyer's link works on any console."""
    import warnings

    from tracenet.console import ConsoleSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette would rather have httpx2
        from fastapi.testclient import TestClient

    with TestClient(create_app(ConsoleSettings(indexer_url=stack.indexer_url))) as client:
        page = client.get(f"/verify/claim/{claim_ref}")
    assert page.status_code == 200
    assert 'data-verdict="holds"' in page.text and "data-public-custody" in page.text
    assert "input:1" not in page.text and "certified point of origin" in page.text


def test_a_buyer_checks_a_received_sd_pdf_and_sees_a_tampered_one_differ(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    row = stack.write("/v1/shipments", {
        "unit": PLANT, "to_unit": BRAND_DC, "product_group": "pet-flakes", "quantity_g": "1000000",
        "document_hash": "0x" + "5d" * 32, "order_ref": "PO-SD-1", "product": "rPET flakes",
        "lines": [{"token_id": str(stack.world.token_id), "amount_g": "100000"}],
    })  # fmt: skip
    (shipped,) = [e for e in row["outcome"]["events"] if e["event"] == "Shipped"]
    ident = int(shipped["args"]["shipmentId"])
    stack.indexed(f"/v1/shipments/{ident}/provenance", stack.auditor_key)
    key = {"X-API-Key": stack.auditor_key}
    ix = httpx.Client(base_url=stack.indexer_url, headers=key, trust_env=False, timeout=30)
    with ix:
        real = ix.get(f"/v1/shipments/{ident}/declaration.pdf")
        assert real.status_code == 200, real.text
        ref = ix.get(f"/v1/shipments/{ident}/reference").json()["public_ref"]
        declared = ix.get(f"/v1/shipments/{ref}/declaration").json()  # the auditor's: full
    _, printed_console = shipment_of(read_sd(real.content))
    forged = copy.deepcopy(declared)
    forged["quantity_g"] = 2 * declared["quantity_g"]  # the quantity changed after issue
    (tmp_path / "sd.pdf").write_bytes(real.content)
    (tmp_path / "forged.pdf").write_bytes(render_pdf(forged, printed_console))
    (tmp_path / "junk.pdf").write_bytes(b"not a pdf")
    outside = external(page, stack.console_url)

    page.goto(stack.console_url + "/")
    page.get_by_role("link", name="Received a Sustainability Declaration", exact=False).click()
    page.wait_for_url("**/verify/document")

    def upload(name: str) -> None:
        page.get_by_label("Sustainability Declaration (PDF)").set_input_files(str(tmp_path / name))
        page.get_by_role("button", name="Check the document").click()

    upload("sd.pdf")
    expect(page.locator("[data-document]")).to_have_attribute("data-document", "matches")
    quantity = page.locator("tr[data-field=Quantity]")
    expect(quantity).to_have_attribute("data-match", "yes")
    expect(quantity).to_contain_text("1000000 g")
    expect(page.locator("tr[data-match=no]")).to_have_count(0)
    expect(page.locator("tr[data-field='Credits carried']")).to_contain_text("100000 g")
    shoot(page, "sd-check-matches", phone=True)

    upload("forged.pdf")
    expect(page.locator("[data-document]")).to_have_attribute("data-document", "differs")
    expect(page.locator("[data-document]")).to_contain_text("1 of")
    expect(quantity).to_have_attribute("data-match", "no")
    expect(quantity).to_contain_text("2000000 g")  # the document's (the chain's: withheld)
    expect(page.locator("tr[data-match=no]")).to_have_count(1)
    shoot(page, "sd-check-differs", phone=True)
    page.locator("[data-verify-link]").click()
    page.wait_for_url(f"**/verify/shipment/{declared['public_ref']}")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "holds")

    page.goto(stack.console_url + "/verify/document")
    upload("junk.pdf")
    expect(page.locator(".error")).to_contain_text("DocumentUnreadable")
    expect(page.locator("[data-document]")).to_have_count(0)
    shoot(page, "sd-check-unreadable")
    assert outside == []


@contextmanager
def _site(pages: dict[str, str]) -> Iterator[int]:
    """Another web site on this machine: ``pages`` by path, on a port of 127.0.0.1 of its own
    (``localhost:<port>`` reaches it too); its port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _auto_post(action: str, fields: dict[str, str], head: str = "") -> str:
    inputs = "".join(f'<input name="{k}" value="{v}">' for k, v in fields.items())
    return (f'<!doctype html><html><head>{head}</head><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{action}">{inputs}</form></body></html>')  # fmt: skip


def test_a_page_of_another_port_or_host_cannot_write_or_sign_in_with_the_session(
    page: Page, stack: Stack
) -> None:
    """Issue 26: every port of 127.0.0.1 is the same site as the console, so the SameSite
    session cookie goes with a form another page there submits; the form token and the
    Origin check refuse it, and the gateway records nothing."""
    console = stack.console_url
    write = {"unit": PLANT, "class": "rpet-flake", "amount": "4711", "certificate": CERTIFICATE,
             "evidence_hash": "0x" + "a7" * 32}  # fmt: skip
    pages = {
        "/input": _auto_post(console + "/party/operations/input", write),
        "/forged": _auto_post(
            console + "/party/operations/input", write | {"csrf_token": "s." + "A" * 43}
        ),
        "/no-referrer": _auto_post(
            console + "/party/operations/input",
            write,
            '<meta name="referrer" content="no-referrer">',
        ),
        "/signin": _auto_post(
            console + "/signin",
            {
                "party": "brand",
                "gateway_key": stack.brand_gateway_key,
                "indexer_key": stack.brand_indexer_key,
            },
        ),
    }

    def recorded() -> list[str]:
        with stack.gateway() as gw:
            rows = gw.get("/v1/requests", params={"limit": 1000}).json()
        return [r["id"] for r in rows]

    sign_in(page, stack)
    before = recorded()
    with _site(pages) as port:
        for site, path, target, sent in (
            (f"http://127.0.0.1:{port}", "/input", "/party/operations/input", None),
            (f"http://127.0.0.1:{port}", "/forged", "/party/operations/input", None),
            (f"http://127.0.0.1:{port}", "/no-referrer", "/party/operations/input", "null"),
            (f"http://localhost:{port}", "/input", "/party/operations/input", None),
            (f"http://127.0.0.1:{port}", "/signin", "/signin", None),
        ):
            with page.expect_response(
                lambda r, t=target: r.url == console + t and r.request.method == "POST"
            ) as answer:
                page.goto(site + path)
            assert answer.value.status == 403, (site, path)
            origin = answer.value.request.all_headers().get("origin")
            assert origin == (sent or site), (site, path, origin)  # what Chromium said
            expect(page.locator(".error")).to_contain_text("TN-CO-403-03")
            expect(page.locator(".error")).to_contain_text("reload the page and try again")
        shoot(page, "csrf-refused")
    assert recorded() == before  # nothing reached the gateway
    # Still the recycler's own session, not the brand's the attacker tried to sign it in to.
    page.goto(console + "/party/operations/input")
    expect(page.get_by_role("button", name="Sign out (recycler)")).to_be_visible()

    def send() -> None:  # a value the console refuses: a field error, nothing recorded
        for label, value in (("Acting unit", PLANT), ("Credit class", "rpet-flake"),
                             ("Amount", "1.5 g"), ("Certificate", CERTIFICATE)):  # fmt: skip
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_text("All fields: the document's hash").click()
        page.get_by_label("SHA-256 hash of the document").fill("0x" + "a7" * 32)
        page.get_by_role("button", name="Send").click()

    # The form open here was made for a session that ended (signed out and in again in
    # another tab): refused, with a link to a fresh form, which the route then takes.
    other = page.context.new_page()
    other.goto(console + "/party")
    other.get_by_role("button", name="Sign out (recycler)").click()
    other.wait_for_url(console + "/")
    sign_in(other, stack)
    other.close()
    send()
    expect(page.locator(".error")).to_contain_text("TN-CO-403-02")
    shoot(page, "csrf-expired")
    page.locator("[data-again]").click()
    page.wait_for_url(console + "/party/operations/input")
    send()
    expect(page.locator("#f-amount-error")).to_contain_text("whole number of grams")
    assert recorded() == before
