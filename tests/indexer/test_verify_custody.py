"""Issue 13 in the verifier: under a scheme requiring a certified chain of custody, every step of a
lineage is checked for the acting and receiving parties' certificates at that block — from the
chain record alone; each way of breaking it by tampering with the record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests import factories as f
from tests import model as m
from tests.indexer.test_verify import build_scenario
from tracenet.contracts import CertificateStatus, Custody
from tracenet.indexer.errors import DeclarationRefusedError
from tracenet.indexer.lineage._lineage import EventRef, Shipped
from tracenet.indexer.verifier._chainread import ChainRecord, read_chain
from tracenet.indexer.verifier._declaration import custody_statement, declaration, to_markdown
from tracenet.indexer.verifier._record import StatusChange
from tracenet.indexer.verifier._sd_document import sd_fields
from tracenet.indexer.verifier._verify import Verdict, verify
from tracenet.indexer.verifier._verify_cli import render_json, render_text

CERT_RESIN_COC, CERT_BRAND = 4, 5
BRAND = "Brand (Brand DC)"


def certify(
    w: f.World, cert_id: int, party: int, number: str, classes: list[int], units: list[int]
) -> None:
    until = f.START + 2 * f.YEAR
    fn = w.consortium.functions.registerCertificate(
        party, f.S_PLUS, number, f.START, until, 0, classes, units
    )
    w.send(fn, w.cast.certifier)
    cert = m.Certificate(
        party, f.S_PLUS, f.P_CERTIFIER, f.START, until, 0, frozenset(classes), frozenset(units)
    )
    w.model.register_certificate(cert_id, cert)


@pytest.fixture(scope="module")
def record() -> ChainRecord:
    return build_custody_record()


def build_custody_record() -> ChainRecord:
    """ISCC PLUS requires every holder certified; flakes → resin maker (converts, moves some to
    its second site) → brand, which claims; the brand's certificate is revoked afterwards."""
    w3 = Web3(EthereumTesterProvider(EthereumTester()))
    w = f.bootstrap(w3)
    c = w.cast
    w.travel(f.at(2031, 2, 1))
    w.send(w.catalog.functions.setSchemeCustody(f.S_PLUS, Custody.certified), c.admin)
    w.model.custody[f.S_PLUS] = m.CUSTODY_CERTIFIED
    both = [f.U_RESIN, f.U_RESIN2]
    certify(w, CERT_RESIN_COC, f.P_RESIN, "ISCC-PLUS-RES-COC-4", [f.C_FLAKE, f.C_RESIN], both)
    certify(w, CERT_BRAND, f.P_BRAND, "ISCC-PLUS-BRAND-5", [f.C_RESIN], [f.U_BRAND])
    r = w.ok("record_input", c.recycler, f.C_FLAKE, 10_000_000, f.CERT_RECYCLER, f.evidence())
    flake = w.events(r, "InputRecorded")[0]["tokenId"]
    w.ok("ship", c.recycler, f.U_RESIN, f.G_FLAKE, 6_000_000, f.evidence(), [(flake, 6_000_000)])
    r = w.ok("convert", c.resin, f.PR_RESIN, 0, [(flake, 6_000_000)])
    resin = w.events(r, "Converted")[0]["outputTokenId"]
    w.ok("transfer_inventory", c.resin, f.U_RESIN2, [(resin, 400_000)])
    w.ok("ship", c.resin, f.U_BRAND, f.G_RESIN, 5_000_000, f.evidence(), [(resin, 5_000_000)])
    w.ok("claim", c.brand, [(resin, 1_000_000)], "Acme Bottles")
    withdraw = w.consortium.functions.setCertificateStatus(CERT_BRAND, 2, w.now(), "left ISCC")
    w.send(withdraw, c.certifier)
    return read_chain(w3, w.handle.deployment)


def custody(verdict: Verdict, subject: str) -> list[tuple[bool, str]]:
    return [
        (c.ok, c.detail)
        for c in verdict.checks
        if c.code == "custody-certificate" and c.subject == subject
    ]


def failed(verdict: Verdict) -> set[tuple[str, str]]:
    return {(c.code, c.subject) for c in verdict.failures}


def without(record: ChainRecord, *cert_ids: int) -> ChainRecord:
    kept = {k: v for k, v in record.certificates.items() if k not in cert_ids}
    return dataclasses.replace(record, certificates=kept)


def with_mode(record: ChainRecord, *changes: tuple[EventRef, Custody]) -> ChainRecord:
    return dataclasses.replace(record, scheme_custody={f.S_PLUS: changes})


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_brand_cert(record: ChainRecord, **changes: object) -> ChainRecord:
    cert = dataclasses.replace(record.certificates[CERT_BRAND], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(record, certificates={**record.certificates, CERT_BRAND: cert})


def test_the_record_knows_the_scheme_s_custody_mode(record: ChainRecord) -> None:
    [(ref, mode)] = record.scheme_custody[f.S_PLUS]
    assert mode is Custody.certified
    assert record.custody_at(f.S_PLUS, ref) is Custody.none  # not before its own event
    assert record.custody_at(f.S_PLUS, record.events[-1].ref) is Custody.certified
    assert record.custody_at(f.S_EU, record.events[-1].ref) is Custody.none


def test_every_step_names_the_certificates_held(record: ChainRecord) -> None:
    verdict = verify(record, "claim", 1)
    assert verdict.ok, verdict.failures
    assert custody(verdict, "shipment:1") == [
        (True, "supplier Recycler (Recycling plant): ISCC-PLUS-REC-001 (ISCC PLUS, rPET-flake), "
         "valid 2031-01-01T00:00:00Z..2032-12-31T00:00:00Z"),
        (True, "recipient Resin maker (Resin site A): ISCC-PLUS-RES-COC-4 (ISCC PLUS, "
         "rPET-flake), valid 2031-01-01T00:00:00Z..2032-12-31T00:00:00Z"),
    ]  # fmt: skip
    conversion = custody(verdict, "conversion:1")
    assert [d.split(":")[0] for _, d in conversion] == ["converter Resin maker (Resin site A)"] * 2
    assert "rPET-flake" in conversion[0][1] and "rPET-resin" in conversion[1][1]
    assert all(ok for ok, _ in custody(verdict, "shipment:2"))
    assert custody(verdict, "input:1") == []  # the origin's certificate is R3's (certificate-*)


def test_a_certificate_withdrawn_after_the_step_is_a_warning(record: ChainRecord) -> None:
    verdict = verify(record, "claim", 1)
    warned = {(c.code, c.subject) for c in verdict.warnings}
    assert warned == {("custody-certificate", "shipment:2"), ("custody-certificate", "claim:1")}
    [(ok, detail)] = custody(verdict, "claim:1")
    assert ok and detail.startswith(f"claimant {BRAND}: ISCC-PLUS-BRAND-5")
    assert "; withdrawn from " in detail and "(left ISCC), recorded later (block " in detail
    assert render_json(verdict)["warnings"] == 2 and render_json(verdict)["holds"]
    text = render_text(verdict, record)
    assert text.startswith("claim 1: HOLDS") and ", 2 warning(s)" in text.splitlines()[0]
    assert f"! custody-certificate (R2): claimant {BRAND}: ISCC-PLUS-BRAND-5" in text
    assert "✓ custody-certificate (R2): supplier Recycler (Recycling plant): ISCC-PLUS-REC" in text


def test_no_certificate_fails_the_claim(record: ChainRecord) -> None:
    certificates = {k: v for k, v in record.certificates.items() if k != CERT_BRAND}
    verdict = verify(dataclasses.replace(record, certificates=certificates), "claim", 1)
    assert failed(verdict) == {
        ("custody-certificate", "shipment:2"),
        ("custody-certificate", "claim:1"),
    }
    [(_, detail)] = custody(verdict, "claim:1")
    assert detail.startswith(f"claimant {BRAND} held no valid ISCC PLUS certificate for rPET-resin")
    assert detail.endswith("CustodyCertificateMissing")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"valid_until": f.START + 1}, "CertificateNotValid"),
        ({"valid_from": f.at(2031, 6, 1)}, "CertificateNotValid"),
        (
            {
                "changes": (
                    StatusChange(
                        EventRef(2, 0, "0x" + "ab" * 32, f.START),
                        CertificateStatus.suspended,
                        f.START,
                        "audit",
                    ),
                )
            },
            "CertificateNotInForce",
        ),
        ({"class_ids": (f.C_FLAKE,)}, "CertificateScopeClass"),
        ({"unit_ids": (f.U_OUTSIDER,)}, "CertificateScopeUnit"),
        ({"registered_at": EventRef(10**6, 0, "0x" + "cd" * 32, 0)}, "CustodyCertificateMissing"),
        ({"scheme_id": f.S_EU}, "CustodyCertificateMissing"),
    ],
)
def test_a_certificate_invalid_at_the_step_fails_it(
    record: ChainRecord, changes: dict[str, object], problem: str
) -> None:
    verdict = verify(with_brand_cert(record, **changes), "claim", 1)
    assert failed(verdict) == {
        ("custody-certificate", "shipment:2"),
        ("custody-certificate", "claim:1"),
    }
    for check in verdict.failures:
        assert BRAND in check.detail and problem in check.detail


def test_the_ledger_s_latest_certificate_names_why_none_is_valid(record: ChainRecord) -> None:
    # An older certificate of the brand, valid and covering: it is the one found.
    older = dataclasses.replace(record.certificates[CERT_BRAND], certificate_id=3, number="OLD-3")
    expired = with_brand_cert(record, valid_until=f.START + 1)
    both = dataclasses.replace(expired, certificates={**expired.certificates, 3: older})
    verdict = verify(both, "claim", 1)
    assert verdict.ok, verdict.failures
    assert f"claimant {BRAND}: OLD-3" in custody(verdict, "claim:1")[0][1]


def test_the_final_claimant_exemption(record: ChainRecord) -> None:
    [(ref, _)] = record.scheme_custody[f.S_PLUS]
    exempt = dataclasses.replace(
        record, scheme_custody={f.S_PLUS: ((ref, Custody.certified_final_claimant_exempt),)}
    )
    certificates = {k: v for k, v in record.certificates.items() if k != CERT_BRAND}
    uncertified = dataclasses.replace(exempt, certificates=certificates)
    verdict = verify(uncertified, "claim", 1)
    assert verdict.ok, verdict.failures
    [(_, detail)] = custody(verdict, "claim:1")
    assert detail == f"claimant {BRAND}: uncertified, a final claimant ISCC PLUS exempts"
    shipment = custody(verdict, "shipment:2")
    assert shipment[1] == (
        True,
        f"recipient {BRAND}: uncertified, a final claimant ISCC PLUS exempts",
    )
    # …but a supplier is never exempt: the resin maker without its certificate fails the step.
    bare = {k: v for k, v in certificates.items() if k not in (CERT_RESIN_COC, f.CERT_RESIN)}
    verdict = verify(dataclasses.replace(exempt, certificates=bare), "claim", 1)
    assert ("custody-certificate", "shipment:2") in failed(verdict)
    assert ("custody-certificate", "claim:1") not in failed(verdict)


def test_no_custody_scheme_no_custody_checks(record: ChainRecord) -> None:
    verdict = verify(dataclasses.replace(record, scheme_custody={}), "claim", 1)
    assert verdict.ok and not any(c.code == "custody-certificate" for c in verdict.checks)
    later = EventRef(10**6, 0, "0x" + "ef" * 32, 0)  # the mode set after the claim
    verdict = verify(
        dataclasses.replace(record, scheme_custody={f.S_PLUS: ((later, Custody.certified),)}),
        "claim",
        1,
    )
    # required now: every step is judged, and here every party held its certificate then
    assert verdict.ok and custody(verdict, "shipment:2")
    assert not any(d.startswith("uncertified step") for _, d in custody(verdict, "shipment:2"))


# ---- issue 26: a step made before the scheme required custody ---------------------------------


@pytest.fixture(scope="module")
def late() -> ChainRecord:
    """The story of ``test_verify`` (flakes → resin → brand, which claims; 3 t of conventional
    resin) ran on a real chain before ISCC PLUS required custody; the admin sets it to
    ``certified`` afterwards. The brand holds no certificate, the resin maker's lists flakes."""
    w3 = Web3(EthereumTesterProvider(EthereumTester()))
    scenario = build_scenario(w3)
    w = scenario.world
    w.send(w.catalog.functions.setSchemeCustody(f.S_PLUS, Custody.certified), w.cast.admin)
    return read_chain(w3, w.handle.deployment)


def test_an_uncertified_step_before_the_scheme_required_custody_is_a_warning(
    late: ChainRecord,
) -> None:
    verdict = verify(late, "claim", 1)
    assert verdict.ok, verdict.failures  # the ledger accepted every step: nothing fails
    notes = {(c.subject, c.detail) for c in verdict.warnings if c.code == "custody-certificate"}
    brand = (
        "uncertified step: the recipient Brand (Brand DC) held no valid ISCC PLUS certificate "
        "for rPET-resin at {} (CustodyCertificateMissing); ISCC PLUS required no certified "
        "chain of custody then and requires every holder certified now"
    )
    shipped = next(e for e in late.events if isinstance(e, Shipped) and e.shipment_id == 2)
    assert ("shipment:2", brand.format(_when(shipped.ref.timestamp))) in notes
    resin = [d for s, d in notes if s == "shipment:2" and "the supplier Resin" in d]
    assert resin and "(CertificateScopeClass ISCC-PLUS-RES-002)" in resin[0]
    assert {s for s, _ in notes} >= {"conversion:1", "shipment:2", "claim:1"}
    assert "the claimant Brand (Brand DC) held no valid" in dict(notes)["claim:1"]
    text = render_text(verdict, late)
    assert f"claim 1: HOLDS — {len(verdict.checks)} checks, 0 failed" in text
    assert f"! custody-certificate (R2): {brand.format(_when(shipped.ref.timestamp))}" in text
    assert render_json(verdict)["warnings"] == len(verdict.warnings) >= 5


def test_verify_and_the_declaration_judge_every_shipment_alike(
    late: ChainRecord, record: ChainRecord
) -> None:
    """One judgement: the SD is refused exactly where verify fails a shipment's custody, and
    its notes are verify's warnings about uncertified parties, word for word."""
    first = EventRef(1, 0, "0x" + "00" * 32, 0)
    later = EventRef(10**6, 0, "0x" + "ef" * 32, 0)
    exempt, certified = Custody.certified_final_claimant_exempt, Custody.certified
    variants = {
        "set after the story": late,
        "required from the start": with_mode(late, (first, certified)),
        "exempt then, certified now": with_mode(late, (first, exempt), (later, certified)),
        "exempt throughout": with_mode(late, (first, exempt)),
        "certified throughout": record,
        "brand uncertified": without(record, CERT_BRAND),
        "brand uncertified, exempt then": with_mode(
            without(record, CERT_BRAND), (first, exempt), (later, certified)
        ),
    }
    seen = set()
    for name, r in variants.items():
        for s in (e for e in r.events if isinstance(e, Shipped)):
            checks = [
                c
                for c in verify(r, "shipment", s.shipment_id).checks
                if c.code == "custody-certificate" and c.subject == f"shipment:{s.shipment_id}"
            ]
            try:
                d = declaration(r, s.shipment_id)
            except DeclarationRefusedError as exc:
                failing = [c.detail for c in checks if not c.ok]
                assert failing, (name, s.shipment_id)
                assert exc.details["reason"] in failing[0], (name, s.shipment_id)
                seen.add("refused")
                continue
            assert all(c.ok for c in checks), (name, s.shipment_id)
            notes = [n for e in d["custody"] for n in e["notes"]]
            uncertified = [c.detail for c in checks if c.detail.startswith("uncertified step")]
            assert notes == uncertified, (name, s.shipment_id)
            seen.add("noted" if notes else "issued")
    assert seen == {"refused", "noted", "issued"}


def test_the_declaration_of_an_uncertified_step_states_it(late: ChainRecord) -> None:
    d = declaration(late, 2)  # resin maker → brand, before ISCC PLUS required custody
    (entry,) = d["custody"]
    assert (entry["custody"], entry["custody_now"]) == ("none", "certified")
    assert entry["supplier_certificate"] is entry["recipient_certificate"] is None
    assert [n.split(" held")[0] for n in entry["notes"]] == [
        "uncertified step: the supplier Resin maker (Resin site A)",
        "uncertified step: the recipient Brand (Brand DC)",
    ]
    statement = custody_statement(d)
    assert statement.startswith(
        "ISCC PLUS required no certified chain of custody at dispatch (it requires every holder "
        "certified now): supplier none, recipient none; NOTE uncertified step: the supplier"
    )
    fields = dict(sd_fields(d, "https://console.example.org"))
    assert fields["Chain of custody certification"] == statement
    assert "NOTE uncertified step: the recipient Brand (Brand DC)" in to_markdown(d)


def test_a_shipment_is_checked_alike(record: ChainRecord) -> None:
    shipped = next(e for e in record.events if isinstance(e, Shipped) and e.shipment_id == 2)
    verdict = verify(with_brand_cert(record, class_ids=()), "shipment", shipped.shipment_id)
    assert failed(verdict) == {("custody-certificate", "shipment:2")}
