"""``GET /v1/shipments/{id}/declaration.pdf|.html`` on the read API: the document of the chain
record, readable by the shipment's two parties and auditors only."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from tests.factories import (
    G_RESIN,
    P_AUDITOR,
    P_BRAND,
    P_OUTSIDER,
    P_RECYCLER,
    P_RESIN,
    S_PLUS,
    U_BRAND,
    U_RESIN,
    World,
    evidence,
)
from tests.indexer.test_reports import T, flakes_to_resin
from tracenet.contracts import Custody
from tracenet.indexer import Follower, IndexerSettings
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.api._sd_check_route import MAX_DOCUMENT
from tracenet.indexer.mirror._decode import EventRef
from tracenet.indexer.verifier._chainread import read_chain
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._public_ref import ref_of
from tracenet.indexer.verifier._sd_check import read_sd
from tracenet.indexer.verifier._sd_document import render_pdf

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CONSOLE = "https://console.example.org"


def test_the_declaration_routes_serve_the_chain_record_to_its_parties_only(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    parties = {"recycler": P_RECYCLER, "resin": P_RESIN, "brand": P_BRAND,
               "outsider": P_OUTSIDER, "auditor": P_AUDITOR}  # fmt: skip
    with engine.begin() as conn:
        keys = {name: create_key(conn, party) for name, party in parties.items()}
    app = create_app(engine, chain=lambda: record, console_url=CONSOLE)
    with TestClient(app) as client:

        def get(who: str | None, url: str) -> object:
            return client.get(url, headers={"X-API-Key": keys[who]} if who else {})

        pdf = get("brand", "/v1/shipments/2/declaration.pdf")
        assert pdf.status_code == 200, pdf.text  # type: ignore[attr-defined]
        assert pdf.headers["content-type"] == "application/pdf"  # type: ignore[attr-defined]
        fields = read_sd(pdf.content)  # type: ignore[attr-defined]
        assert fields["Supplier"] == record.parties[P_RESIN].name
        assert fields["Quantity"] == "4000000 g" and fields["Credits carried"] == "2000000 g"
        assert fields["Verify at"] == f"{CONSOLE}/verify/shipment/{ref_of(record, 'shipment', 2)}"
        page = get("auditor", "/v1/shipments/2/declaration.html")
        assert page.status_code == 200  # type: ignore[attr-defined]
        assert "<th scope=row>Quantity</th><td>4000000 g</td>" in page.text  # type: ignore[attr-defined]
        refused = get("recycler", "/v1/shipments/2/declaration.pdf")
        assert refused.status_code == 403  # type: ignore[attr-defined]
        assert refused.json()["error"] == "NotCounterparty"  # type: ignore[attr-defined]
        assert get(None, "/v1/shipments/2/declaration.html").status_code == 401  # type: ignore[attr-defined]
        missing = get("auditor", "/v1/shipments/99/declaration.pdf")
        assert missing.status_code == 404  # type: ignore[attr-defined]
        assert missing.json()["error"] == "ShipmentUnknown"  # type: ignore[attr-defined]
        bad = get("auditor", "/v1/shipments/-1/declaration.html")
        assert bad.status_code == 422  # type: ignore[attr-defined]
        assert bad.json()["code"] == "TN-IX-422-00"  # type: ignore[attr-defined]
        paths = client.get("/openapi.json").json()["paths"]
        for suffix in ("pdf", "html"):
            documented = paths[f"/v1/shipments/{{shipment_id}}/declaration.{suffix}"]["get"]
            assert {"200", "401", "403", "404", "422"} <= set(documented["responses"])


def test_a_conventional_delivery_is_served_like_any_shipment(
    world: World, follower: Follower, engine: Engine
) -> None:
    """Issue 26: a shipment with no credit lines listed by /v1/shipments has a verdict, a
    provenance of nothing upstream and an SD of 0 % (JSON, PDF, HTML), not a 500 or a 404."""
    flakes_to_resin(world)
    world.ok("ship", world.cast.resin, U_BRAND, G_RESIN, 3 * T, evidence(), [])  # shipment 3
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    with engine.begin() as conn:
        brand = {"X-API-Key": create_key(conn, P_BRAND)}
    app = create_app(engine, chain=lambda: record, console_url=CONSOLE)
    with TestClient(app) as client:
        listed = client.get("/v1/shipments", headers=brand)
        assert listed.status_code == 200, listed.text
        assert 3 in {s["shipment_id"] for s in listed.json()["shipments"]}
        ref = ref_of(record, "shipment", 3)
        verdict = client.get(f"/v1/shipments/{ref}/verification", headers=brand)
        assert verdict.status_code == 200, verdict.text
        v = verdict.json()
        assert v["holds"] and (v["failed"], v["warnings"]) == (0, 0)
        assert v["lineage"]["target"] == {"kind": "shipment", "id": 3, "amount_g": 0}
        assert v["lineage"]["origins"] == []
        assert [n["amount_g"] for n in v["lineage"]["nodes"]] == [0]
        prov = client.get("/v1/shipments/3/provenance", headers=brand)
        assert prov.status_code == 200, prov.text
        p = prov.json()
        assert (p["target"]["amount_g"], p["depth"], p["unexplained_g"]) == (0, 0, 0)
        assert [n["key"] for n in p["nodes"]] == ["shipment:3"]
        assert p["nodes"][0]["quantity_g"] == 3 * T
        # One lineage shape from both routes (issue 18): the same keys, the same node.
        assert set(v["lineage"]) == set(p) - {"as_of", "allocation_method", "depth"}
        assert v["lineage"]["nodes"][0] == p["nodes"][0]
        assert p["edges"] == [] and p["origins"] == []
        svg = client.get("/v1/shipments/3/provenance?format=svg", headers=brand)
        assert svg.status_code == 200 and svg.text.startswith("<svg")
        sd = client.get(f"/v1/shipments/{ref}/declaration")
        assert sd.status_code == 200, sd.text
        d = sd.json()
        assert (d["quantity_g"], d["credits_g"], d["sustainable_share_bps"]) == (3 * T, 0, 0)
        assert d["lines"] == d["origins"] == d["classes"] == []
        pdf = client.get("/v1/shipments/3/declaration.pdf", headers=brand)
        assert pdf.status_code == 200, pdf.text
        fields = read_sd(pdf.content)
        assert fields["Sustainable share"] == "0.00 %"
        assert fields["Credits carried"].startswith("0 g (a conventional delivery")
        page = client.get("/v1/shipments/3/declaration.html", headers=brand)
        assert page.status_code == 200 and "<td>0.00 %</td>" in page.text
        # no such claim, or a sequential id: the same 404 (issue 25)
        for asked in ("99", "1", "0" * 32, ref):
            missing = client.get(f"/v1/claims/{asked}/verification")
            assert missing.status_code == 404
            body = missing.json()
            assert (body["code"], body["error"], body["field"]) == (
                "TN-IX-404-08", "ReferenceUnknown", "ref",
            )  # fmt: skip
            assert body["message"] == "no claim has this public reference"


def test_no_declaration_under_a_custody_scheme_without_certificates(
    world: World, follower: Follower, engine: Engine
) -> None:
    """A record in which ISCC PLUS required custody from the start while the resin maker's
    certificate lists flakes only: its resin shipment gets a 409, never a document. (Set after
    the story instead, the SD is issued with a note: issue 26, ``test_verify_custody``.)"""
    flakes_to_resin(world)
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    first = EventRef(1, 0, "0x" + "00" * 32, 0)
    strict = dataclasses.replace(record, scheme_custody={S_PLUS: ((first, Custody.certified),)})
    with engine.begin() as conn:
        brand, auditor = create_key(conn, P_BRAND), create_key(conn, P_AUDITOR)
    app = create_app(engine, chain=lambda: strict, console_url=CONSOLE)
    with TestClient(app) as client:
        for who, url in [
            (brand, "/v1/shipments/2/declaration.pdf"),
            (auditor, "/v1/shipments/2/declaration.html"),
            (None, f"/v1/shipments/{ref_of(record, 'shipment', 2)}/declaration"),
        ]:
            answer = client.get(url, headers={"X-API-Key": who} if who else {})
            assert answer.status_code == 409, (url, answer.text)
            body = answer.json()
            assert (body["code"], body["error"]) == ("TN-IX-409-01", "CustodyCertificateMissing")
            assert body["field"] == "shipment_id"
            assert body["args"]["role"] == "supplier" and body["args"]["unit_id"] == U_RESIN
            assert body["args"]["reason"] == "CertificateScopeClass"
        # the flakes' shipment: both parties certified for flakes, the document is issued
        ok = client.get("/v1/shipments/1/declaration.pdf", headers={"X-API-Key": auditor})
        assert ok.status_code == 200
        assert read_sd(ok.content)["Supplier certificates"] == "ISCC-PLUS-REC-001"
        paths = client.get("/openapi.json").json()["paths"]
        for path in ("{shipment_id}/declaration.pdf", "{shipment_id}/declaration.html",
                     "{ref}/declaration"):  # fmt: skip
            documented = paths[f"/v1/shipments/{path}"]["get"]
            assert "409" in documented["responses"]


def test_an_uploaded_sd_pdf_is_checked_field_by_field_without_a_key(
    world: World, follower: Follower, engine: Engine
) -> None:
    """``POST /v1/declarations/check``: what ``tracenet declaration check`` prints, as JSON."""
    flakes_to_resin(world)
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    real = declaration(record, 2)
    forged = copy.deepcopy(real)
    forged["quantity_g"] = real["quantity_g"] * 2
    unlimited = IndexerSettings(document_rate_per_minute=0)  # more uploads than the burst
    app = create_app(engine, chain=lambda: record, console_url=CONSOLE, settings=unlimited)
    with TestClient(app) as client:  # no key: public, as the verify routes

        def check(**kw: Any) -> Any:
            return client.post("/v1/declarations/check", **kw)

        good = check(files={"document": ("sd-2.pdf", render_pdf(real, CONSOLE), "application/pdf")})
        assert good.status_code == 200, good.text
        body = good.json()
        assert (body["matches"], body["shipment_id"]) == (True, 2)
        assert body["declaration"] == real["declaration"]
        assert body["verify_link"] == f"{CONSOLE}/verify/shipment/{real['public_ref']}"
        assert body["differ"] == 0 and body["matched"] == len(body["fields"]) > 30
        assert {"label": "Quantity", "document": "4000000 g", "chain": "4000000 g",
                "ok": True} in body["fields"]  # fmt: skip

        raw = check(
            content=render_pdf(forged, CONSOLE), headers={"Content-Type": "application/pdf"}
        )
        assert raw.status_code == 200, raw.text
        assert (raw.json()["matches"], raw.json()["differ"]) == (False, 1)
        assert [f for f in raw.json()["fields"] if not f["ok"]] == [
            {"label": "Quantity", "document": "8000000 g", "chain": None, "ok": False}
        ]  # the chain's value is withheld from a public caller (issue 25)

        other = copy.deepcopy(real)
        other["public_ref"] = "ab" * 16  # a link to a shipment this chain does not have
        missing = check(content=render_pdf(other, CONSOLE))
        assert missing.status_code == 404
        assert (missing.json()["code"], missing.json()["error"]) == (
            "TN-IX-404-08",
            "ReferenceUnknown",
        )

        junk = check(files={"document": ("x.pdf", b"not a pdf", "application/pdf")})
        assert junk.status_code == 422
        assert (junk.json()["code"], junk.json()["field"]) == ("TN-IX-422-05", "document")
        no_file = check(files={"other": ("x.pdf", b"%PDF", "application/pdf")})
        assert (no_file.status_code, no_file.json()["code"]) == (422, "TN-IX-422-00")

        big = b"%PDF" + b"0" * MAX_DOCUMENT
        for kw in ({"content": big}, {"files": {"document": ("big.pdf", big, "application/pdf")}}):
            too_large = check(**kw)
            assert too_large.status_code == 413
            assert (too_large.json()["code"], too_large.json()["error"]) == (
                "TN-IX-413-01", "DocumentTooLarge",
            )  # fmt: skip

        def chunks() -> Iterator[bytes]:  # chunked, no Content-Length: cut off all the same
            for _ in range(MAX_DOCUMENT // 65_536 + 2):
                yield b"0" * 65_536

        assert check(content=chunks()).status_code == 413
        documented = client.get("/openapi.json").json()["paths"]["/v1/declarations/check"]["post"]
        assert {"200", "404", "409", "413", "422"} <= set(documented["responses"])
        assert "multipart/form-data" in documented["requestBody"]["content"]
