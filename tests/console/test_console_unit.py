"""The console without a network: what it imports, what its pages reference, the bodies its
forms build and the errors it reads back."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import httpx
import pytest

from tests.console.conftest import form_token
from tracenet import console
from tracenet.console import ApiError, ConsoleSettings, create_app
from tracenet.console._csrf import FIELD
from tracenet.console._forms import PARTY_FORMS, FormError, build, build_body, find
from tracenet.console._forms_admin import ADMIN_FORMS
from tracenet.console._roles import needs
from tracenet.console._svg import bar_chart, provenance_graph
from tracenet.contracts import Role

with warnings.catch_warnings():
    # starlette 1.10 would rather drive its TestClient with httpx2; httpx 0.28 works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PACKAGE = Path(console.__file__).parent
# Where a page could name another origin: attributes that fetch or navigate, and CSS url().
_EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)


def test_the_console_imports_neither_the_gateway_nor_the_indexer() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("gateway", "indexer"), f"{path}: {name}"


def test_no_template_or_asset_references_an_external_url() -> None:
    files = [*PACKAGE.glob("templates/*.html"), *PACKAGE.glob("static/*")]
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not _EXTERNAL.search(text), f"{path.name} references another origin"
        # SVG's namespace is a name, never fetched; any other absolute URL is a reference.
        rest = text.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in rest and "https://" not in rest, path.name


@pytest.fixture
def client() -> TestClient:
    settings = ConsoleSettings(
        indexer_url="http://127.0.0.1:9", gateways={"recycler": "http://127.0.0.1:9"}
    )
    return TestClient(create_app(settings))


def test_rendered_pages_reference_no_external_url_and_forbid_others_by_policy(
    client: TestClient,
) -> None:
    with client:
        for path in ("/", "/signin", "/search?q=claim", "/search?q=7", "/verify/claim/1",
                     f"/verify/claim/{'a' * 32}", "/verify/document"):  # fmt: skip
            page = client.get(path)
            assert page.headers["content-type"].startswith("text/html"), path
            assert not _EXTERNAL.search(page.text), path
            assert "default-src 'self'" in page.headers["content-security-policy"]


def test_party_pages_need_a_session_and_bad_ids_are_4xx_not_500(client: TestClient) -> None:
    with client:
        for path in ("/party", "/party/operations/input", "/audit", "/party/reports"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
        # an id, a malformed reference: the page of an unknown reference (issue 25)
        for path in ("/verify/claim/0", "/verify/claim/" + "9" * 40, "/verify/shipment/abc",
                     "/chain/claim/1", "/verify/shipment/" + "x" * 500):  # fmt: skip
            assert client.get(path).status_code == 404, path
        assert client.get("/search?q=" + "x" * 5000).status_code == 404
        answer = client.get("/open/shipment/1", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
        token = form_token(client, "/signin")
        bad = client.post("/signin", data={"party": "nobody", "gateway_key": "", FIELD: token})
        assert bad.status_code == 422 and "choose one of the parties" in bad.text


def test_a_link_with_an_id_or_an_sd_number_opens_nothing_never_naming_the_field(
    client: TestClient,
) -> None:
    with client:
        tried = ("/verify/shipment/abc", "/chain/claim/0", "/verify/shipment/SD-7177-12",
                 "/verify/claim/12")  # fmt: skip
        pages = [client.get(p) for p in tried]
        assert {p.status_code for p in pages} == {404}
        assert len({p.text for p in pages}) == 1  # the same page whatever was tried
        assert "the reference of 32 characters" in pages[0].text
        assert "ident" not in pages[0].text and "ref:" not in pages[0].text


#: A declaration as the indexer serves it (``indexer.verifier._declaration.declaration``).
R7 = "7" * 32  # shipment 7's public reference, in these tests
SD_7: dict[str, object] = {
    "view": "full",
    "declaration": "SD-7177-7",
    "shipment_id": 7,
    "public_ref": R7,
    "supplier": {"party_id": 2, "name": "Recycler GmbH", "identifier": "0x01", "unit_id": 1,
                 "unit": "Plant Rotterdam", "address": "Rotterdam", "certificates": ["ISCC-1"]},
    "recipient": {"party_id": 3, "name": "Resin BV", "identifier": "0x02", "unit_id": 2,
                  "unit": "Mill", "address": "Ghent", "certificates": []},
    "custody": [],
    "recipient_final_claimant": False,
    "dispatch_date": "2027-01-05T10:00:00Z",
    "dispatch_address": "Rotterdam",
    "order_reference": "PO-1",
    "product": "rPET flakes",
    "product_group": {"id": 1, "name": "PET flakes", "max_share_bps": 10_000},
    "quantity_g": 10_000_000,
    "credits_g": 3_000_000,
    "sustainable_share_bps": 3_000,
    "lines": [{"token_id": "0x1", "class_id": 1, "vintage": 684, "batch": 0,
               "credits_g": 3_000_000}],
    "classes": [{"class_id": 1, "name": "rPET flake", "characteristic": "recycled",
                 "scheme": "ISCC PLUS", "raw_material": "circular", "waste": True,
                 "chain_of_custody_model": "mass balance", "attribution_method": "credit method",
                 "emission_factor_sustainable_gco2e_per_kg": 450,
                 "emission_factor_conventional_gco2e_per_kg": 2150}],
    "rolling_average": [],
    "emission_factor_gco2e_per_kg": 1640,
    "conversion_factors_upstream": [],
    "origins": [{"input_id": 4, "certificate": "ISCC-1", "credits_g": 3_000_000,
                 "input_g": 5_000_000}],
    "document_hash": "0x" + "ab" * 32,
    "transaction": {"chain_id": 7177, "ledger": "0x00", "tx_hash": "0x" + "cd" * 32,
                    "block_number": 12, "log_index": 0},
}  # fmt: skip


def _sign_in(client: TestClient, indexer_key: str) -> None:
    """A session as the sign-in page opens it (the gateway's check is not this test's)."""
    from tracenet.console._session import COOKIE, Session

    sid = client.app.state.sessions.open(  # type: ignore[attr-defined]
        Session("brand", "http://127.0.0.1:9", "gateway-key", indexer_key)
    )
    client.cookies.set(COOKIE, sid)


#: The public view of shipment 7 (``indexer.verifier._redact``), as the indexer answers it.
SD_7_PUBLIC: dict[str, object] = {
    **SD_7,
    "view": "public",
    "shipment_id": None,
    "supplier": {"role": "supplier", "country": None, "certified": True,
                 "name": "Recycler GmbH", "unit": "Plant Rotterdam", "address": "Rotterdam",
                 "certificates": ["ISCC-1"]},
    "recipient": {"role": "recipient", "country": "BE", "certified": False, "name": None,
                  "unit": None, "address": None, "certificates": None},
    "origins": [{"country": "NL", "share_of_credits_bps": 10_000, "certificate": None,
                 "credits_g": None, "input_g": None}],
}  # fmt: skip


def test_the_shipment_page_shows_the_buyer_the_public_view_and_its_party_the_full_one(
    client: TestClient,
) -> None:
    seen: list[tuple[str, bool]] = []
    node = {"key": "shipment:7", "kind": "shipment", "amount_g": 5}
    step = {"step": 1, "kind": "shipment", "role": "certified supplier", "country": "NL",
            "schemes": ["ISCC PLUS"], "certificate_status": "ISCC PLUS certificate valid at "
            "dispatch", "date": "2027-01-05", "share_of_target_bps": 10_000,
            "party": "Recycler GmbH", "unit": None, "address": None, "certificates": None,
            "credits_g": None, "summary": "certified supplier, NL, ISCC PLUS certificate valid "
            "at dispatch"}  # fmt: skip

    def indexer(request: httpx.Request) -> httpx.Response:
        keyed = request.headers.get("x-api-key") == "brand-key"
        path = request.url.path
        seen.append((path, keyed))
        if keyed and path == "/v1/shipments/7/declaration.pdf":
            return httpx.Response(
                200, content=b"%PDF-1.4 sd", headers={"content-type": "application/pdf"}
            )
        if keyed and path == "/v1/shipments/7/declaration.html":
            return httpx.Response(200, text="<html><script>x()</script>SD</html>")
        if path == f"/v1/shipments/{R7}/verification":
            if keyed:
                lineage = {"target": {"kind": "shipment", "id": 7, "amount_g": 5}, "nodes": [node],
                           "edges": [], "origins": []}  # fmt: skip
                full = {"view": "full", "id": 7, "holds": True, "failed": 0, "warnings": 0,
                        "checks": [], "lineage": lineage}  # fmt: skip
                return httpx.Response(200, json=full)
            public = {"view": "public", "holds": True, "failed": 0, "warnings": 0,
                      "checks": [], "chain_of_custody": [step]}  # fmt: skip
            return httpx.Response(200, json=public)
        if path == f"/v1/shipments/{R7}/declaration":
            return httpx.Response(200, json=SD_7 if keyed else SD_7_PUBLIC)
        unknown = {"code": "TN-IX-404-08", "error": "ReferenceUnknown", "field": "ref",
                   "message": "no shipment has this public reference"}  # fmt: skip
        return httpx.Response(404, json=unknown)

    with client:
        public = client.app.state.public_indexer  # type: ignore[attr-defined]
        public.http = httpx.AsyncClient(
            base_url="http://ix", transport=httpx.MockTransport(indexer)
        )
        page = client.get(f"/verify/shipment/{R7}")
        assert page.status_code == 200, page.text
        assert 'data-view="public"' in page.text and "data-public-custody" in page.text
        assert "certified supplier" in page.text and "ISCC PLUS certificate valid" in page.text
        sd = page.text[page.text.index('data-sd-number="SD-7177-7"') :]
        assert "Recycler GmbH" in sd and "Resin BV" not in sd and "ISCC-1" in sd
        assert "recipient, BE — name not disclosed" in sd and "100.00 % of the credits" in sd
        assert "declaration.pdf" not in page.text  # the buyer holds the SD already
        assert not any(keyed for _, keyed in seen)  # the console never lends its key
        for fmt in ("pdf", "html"):
            assert client.get(f"/verify/shipment/{R7}/declaration.{fmt}").status_code == 404

        _sign_in(client, "brand-key")
        page = client.get(f"/verify/shipment/{R7}")
        assert 'data-view="full"' in page.text
        assert f'href="/verify/shipment/{R7}/declaration.pdf"' in page.text
        assert f'href="/verify/shipment/{R7}/declaration.html"' in page.text
        sd = page.text[page.text.index('data-sd-number="SD-7177-7"') :]
        for shown in ("Recycler GmbH", "Resin BV", "30.00 %", "rPET flake", "1640 gCO2e/kg",
                      "ISCC-1", "All fields of the declaration"):  # fmt: skip
            assert shown in sd, shown
        pdf = client.get(f"/verify/shipment/{R7}/declaration.pdf")
        assert pdf.status_code == 200 and pdf.content == b"%PDF-1.4 sd"
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == 'attachment; filename="SD-7177-7.pdf"'
        html = client.get(f"/verify/shipment/{R7}/declaration.html")
        # a download, never a page of the console's origin running the indexer's markup
        assert html.headers["content-disposition"].startswith("attachment;")
        assert ("/v1/shipments/7/declaration.html", True) in seen
        missing = client.get(f"/verify/shipment/{'9' * 32}/declaration.pdf")
        assert missing.status_code == 404
        assert client.get(f"/verify/shipment/{R7}/declaration.doc").status_code == 422


def test_a_conventional_delivery_and_an_uncertified_step_read_as_the_verifier_says(
    client: TestClient,
) -> None:
    """Issue 26, on the indexer's own answers (verdict and SD from the chain record): shipment 4
    carries no credits — it holds, nothing upstream, 0 %; shipment 2 left the resin maker before
    ISCC PLUS required custody — it holds with the note its SD states too."""
    import dataclasses

    from eth_tester import EthereumTester
    from web3 import EthereumTesterProvider, Web3

    from tests.factories import S_PLUS
    from tests.indexer.test_verify import build_scenario
    from tracenet.contracts import Custody
    from tracenet.indexer.mirror._decode import EventRef
    from tracenet.indexer.verifier._declaration import declaration
    from tracenet.indexer.verifier._verify import verify
    from tracenet.indexer.verifier._verify_cli import render_json

    record = build_scenario(Web3(EthereumTesterProvider(EthereumTester()))).record
    later = EventRef(10**6, 0, "0x" + "00" * 32, 0)
    late = dataclasses.replace(record, scheme_custody={S_PLUS: ((later, Custody.certified),)})
    r4, r2 = "4" * 32, "2" * 32  # their public references, in this test
    answers = {  # the full views: a party to both shipments reads them signed in
        f"/v1/shipments/{r4}/verification": {
            "view": "full",
            **render_json(verify(record, "shipment", 4)),
        },
        f"/v1/shipments/{r4}/declaration": {"view": "full", **declaration(record, 4)},
        f"/v1/shipments/{r2}/verification": {
            "view": "full",
            **render_json(verify(late, "shipment", 2)),
        },
        f"/v1/shipments/{r2}/declaration": {"view": "full", **declaration(late, 2)},
    }

    def indexer(request: httpx.Request) -> httpx.Response:
        if request.url.path in answers and request.headers.get("x-api-key") == "brand-key":
            return httpx.Response(200, json=answers[request.url.path])
        return httpx.Response(404, json={"code": "TN-IX-404-04", "error": "ShipmentUnknown"})

    with client:
        public = client.app.state.public_indexer  # type: ignore[attr-defined]
        public.http = httpx.AsyncClient(
            base_url="http://ix", transport=httpx.MockTransport(indexer)
        )
        _sign_in(client, "brand-key")
        page = client.get(f"/verify/shipment/{r4}")
        assert page.status_code == 200, page.text
        assert 'data-verdict="holds"' in page.text and "data-conventional" in page.text
        assert 'data-sd-share="0"' in page.text and "0.00 %" in page.text
        noted = client.get(f"/verify/shipment/{r2}")
        assert noted.status_code == 200 and 'data-verdict="holds"' in noted.text
        assert "data-conventional" not in noted.text  # it carries credits
        assert '<tr class="warn"><td>holds, note</td>' in noted.text
        sd = noted.text[noted.text.index("data-sd-number") :]
        assert "(no certified chain of custody required at dispatch; required now)" in sd
        assert "Note: uncertified step: the recipient Brand (Brand DC) held no valid" in sd


def test_search_takes_the_reference_and_ids_only_from_a_signed_in_party(
    client: TestClient,
) -> None:
    claim = "c" * 32

    def indexer(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/claims/{claim}/verification":
            return httpx.Response(200, json={"view": "public", "holds": True})
        return httpx.Response(404, json={"code": "TN-IX-404-08", "error": "ReferenceUnknown"})

    with client:
        public = client.app.state.public_indexer  # type: ignore[attr-defined]
        public.http = httpx.AsyncClient(
            base_url="http://ix", transport=httpx.MockTransport(indexer)
        )
        cases = ("claim 12", "SD-7", "SD-7177-12", "sd 1-3", "shipment:3", "c 5", "d" * 32)
        for q in cases:  # anyone: an id or an SD number opens nothing (issue 25)
            answer = client.get("/search", params={"q": q}, follow_redirects=False)
            assert answer.status_code == 404, q
        for q in (claim, claim.upper(), f"https://console.example/verify/claim/{claim}"):
            answer = client.get("/search", params={"q": q}, follow_redirects=False)
            assert answer.headers["location"] == f"/verify/claim/{claim}", q
        _sign_in(client, "brand-key")
        cases2 = (
            ("claim 12", "/open/claim/12"),
            ("SD-7", "/open/shipment/7"),
            ("SD-7177-12", "/open/shipment/12"),  # as printed: chain id, shipment id
            ("sd 1-3", "/open/shipment/3"),
            ("shipment:3", "/open/shipment/3"),
            ("c 5", "/open/claim/5"),
        )
        for q, target in cases2:
            answer = client.get("/search", params={"q": q}, follow_redirects=False)
            assert answer.headers["location"] == target, q


def test_a_service_down_is_a_clear_page_not_a_traceback(client: TestClient) -> None:
    settings = ConsoleSettings(indexer_url="http://127.0.0.1:9", gateways={})
    with TestClient(create_app(settings)) as c:
        page = c.get(f"/verify/claim/{'1' * 32}")
        assert page.status_code == 503 and "ServiceUnavailable" in page.text
        pdf = {"document": ("sd.pdf", b"%PDF-1.4", "application/pdf")}
        page = c.post(
            "/verify/document", files=pdf, data={FIELD: form_token(c, "/verify/document")}
        )
        assert page.status_code == 503 and "ServiceUnavailable" in page.text


def test_an_sd_upload_too_large_or_missing_is_refused_before_the_indexer(
    client: TestClient,
) -> None:
    from tracenet.console._document import MAX_DOCUMENT

    with client:
        token = {FIELD: form_token(client, "/verify/document")}
        big = {"document": ("sd.pdf", b"%PDF" + b"0" * MAX_DOCUMENT, "application/pdf")}
        page = client.post("/verify/document", files=big, data=token)
        assert page.status_code == 413 and "DocumentTooLarge" in page.text
        assert 'for="sd-file"' in page.text  # the form again, to choose another file
        missing = client.post("/verify/document", data=token)
        assert missing.status_code == 422 and "document" in missing.text


def test_forms_build_the_gateways_bodies() -> None:
    ship = find(PARTY_FORMS, "ship")
    assert ship is not None
    body = build_body(ship, {
        "unit": "plant", "to_unit": "7", "product_group": "pet-flakes", "quantity": "6 t",
        "document_hash": "0x" + "AB" * 32, "order_ref": "PO-1", "product": "flakes",
        "lines": "18446744078004518912 6000000\n 18446744078004518913, 2.5 kg\n",
    })  # fmt: skip
    assert body["unit"] == "plant" and body["to_unit"] == 7 and body["quantity"] == 6_000_000
    assert body["document_hash"] == "0x" + "ab" * 32
    assert body["lines"] == [
        {"token_id": "18446744078004518912", "amount": 6_000_000},
        {"token_id": "18446744078004518913", "amount": 2_500},
    ]
    with pytest.raises(FormError) as missing:  # every field at fault at once, as sentences
        build_body(ship, {"unit": "plant", "quantity": "1.0005 kg"})
    assert missing.value.field == "to_unit"
    assert set(missing.value.errors) == {
        "to_unit",
        "product_group",
        "quantity",
        "document_hash",
        "order_ref",
        "product",
        "lines",
    }
    assert missing.value.errors["quantity"].endswith("whole number of grams.")
    assert missing.value.errors["to_unit"] == "Recipient unit is required."
    with pytest.raises(FormError) as bad_line:
        build_body(ship, {**{f.name: "1 t" for f in ship.fields}, "lines": "1 2 3 4"})
    assert bad_line.value.errors["lines"].startswith("Line 1: “2 3 4” is not a quantity")
    with pytest.raises(FormError) as no_id:
        build_body(ship, {"lines": "plant 3 t"})
    assert no_id.value.errors["lines"].startswith("Line 1: write the token id and the amount")
    assert "document_hash" in bad_line.value.errors  # a typed hash must be one
    rolling = find(PARTY_FORMS, "claim-rolling")  # issue 10: the gateway takes the lines
    assert rolling is not None and rolling.path == "/v1/claims"
    assert build_body(rolling, {
        "unit": "plant", "class": "rpet-bio", "quantity": "1 t", "beneficiary": "B",
        "product": "bottle", "purpose": "bio content",
    }) == {"unit": "plant", "class": "rpet-bio", "quantity": 1_000_000, "beneficiary": "B",
           "product": "bottle", "purpose": "bio content"}  # fmt: skip
    with pytest.raises(FormError) as no_quantity:
        build_body(rolling, {"unit": "plant", "class": "rpet-bio"})
    assert no_quantity.value.field == "quantity"
    roles = find(ADMIN_FORMS, "roles")
    assert roles is not None
    assert roles.route({"party": "4"}) == "/v1/admin/parties/4/roles"
    assert build(roles, {"party": "4", "roles": ["member", "origin"]}).path == (
        "/v1/admin/parties/4/roles"
    )
    assert build_body(roles, {"party": "4", "roles": ["member", "origin"]}) == {
        "roles": ["member", "origin"]
    }
    custody = find(ADMIN_FORMS, "scheme-custody")  # issue 13
    assert custody is not None
    values = {"scheme": "iscc-plus", "custody": "certified"}
    assert custody.route(values) == "/v1/admin/schemes/iscc-plus/custody"
    assert build_body(custody, values) == {"custody": "certified"}
    scope = find(ADMIN_FORMS, "unit-scope")  # issue 26: Catalog.setUnitScope
    assert scope is not None
    values = {"unit": "brand-dc", "product_group": "pet-flakes", "in_scope": "on"}
    assert scope.route(values) == "/v1/admin/units/brand-dc/scope"
    assert build_body(scope, values) == {"product_group": "pet-flakes", "in_scope": True}
    assert build_body(scope, {"unit": "1", "product_group": "2"})["in_scope"] is False
    from tests.console.test_offered import gateway_openapi
    from tracenet.console._offered import Offered

    offered = Offered.from_openapi(gateway_openapi())
    assert needs(scope, offered) == int(Role.admin | Role.certifier)


def test_every_field_has_a_label_and_every_form_a_gateway_route() -> None:
    for form in (*PARTY_FORMS, *ADMIN_FORMS):
        assert form.path.startswith("/v1/")
        for f in form.fields:
            assert f.label and f.kind in (
                "text", "ref", "refs", "int", "grams", "percent", "document", "roles",
                "identifier", "list", "bool", "lines", "tokens", "choice", "date",
            )  # fmt: skip
            # issue 21: people's words — entities by name, quantities with their unit, files
            what = f"{form.key}.{f.name}"
            assert f.kind not in ("hash", "list"), f"{what}: a hash or key list to type"
            assert "(g)" not in f.label and "bps" not in f.label.lower(), what
            assert "mask" not in f.hint and "key or id" not in f.hint, what
            assert f.kind != "choice" or f.options, what
            if f.kind in ("ref", "refs"):
                assert f.entity, f"{what}: an entity field with nothing to pick from"


def test_api_errors_are_read_from_the_common_body_and_older_ones() -> None:
    common = httpx.Response(422, json={"code": "TN-GW-422-02", "error": "FieldInvalid",
                                       "field": "amount", "message": "must be an integer",
                                       "args": {"max": 10**15}})  # fmt: skip
    e = ApiError.from_response(common)
    assert (e.status, e.code, e.error, e.field, e.error_args) == (
        422,
        "TN-GW-422-02",
        "FieldInvalid",
        "amount",
        {"max": 10**15},
    )
    fastapi_default = httpx.Response(
        422, json={"detail": [{"loc": ["query", "period"], "msg": "not an integer"}]}
    )
    e = ApiError.from_response(fastapi_default)
    assert e.field == "period" and e.message == "not an integer"
    text = ApiError.from_response(httpx.Response(502, text="bad gateway"))
    assert text.status == 502 and "bad gateway" in text.message


def test_pictures_escape_their_text() -> None:
    prov = {
        "nodes": [{"key": "input:1", "kind": "input", "amount_g": 5, "certificate_number": "<x>"},
                  {"key": "claim:1", "kind": "claim", "amount_g": 5}],
        "edges": [{"source": "input:1", "target": "claim:1", "amount_g": 5}],
    }  # fmt: skip
    svg = provenance_graph(prov)
    assert "&lt;x&gt;" in svg and "<x>" not in svg and svg.count("<rect") == 2
    assert "<script" not in bar_chart("<script>", [("a", 1)])
    assert provenance_graph({"nodes": [], "edges": []}) == ""


def test_a_report_verdict_of_the_indexer_becomes_one_line_per_check() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tracenet.console import IndexerClient
    from tracenet.console._auditor import check_signed_report

    answers = {
        "valid": httpx.Response(200, json={
            "valid": True, "signer": "0xA1", "party_id": 5, "party": "auditor", "block_number": 9,
            "class_id": 1, "period": "2031-Q1", "compared": ["total"]}),
        "stranger": httpx.Response(400, json={
            "code": "TN-IX-400-02", "error": "SignerNotAuditor", "field": "signature",
            "message": "0xB2 was no registered signer at block 9", "args": {"signer": "0xB2"}}),
        "junk": httpx.Response(422, json={
            "code": "TN-IX-422-00", "error": "FieldInvalid", "field": None,
            "message": "not an object", "args": {}}),
    }  # fmt: skip

    def check(raw: bytes, answer: str) -> dict[str, object]:
        client = IndexerClient("http://indexer", "k", timeout=1)
        client.http = httpx.AsyncClient(
            base_url="http://indexer", transport=httpx.MockTransport(lambda _: answers[answer])
        )
        # A thread of its own: a browser test of this session may hold this thread's loop.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, check_signed_report(raw, client)).result()

    good = check(b'{"report": {}}', "valid")
    assert good["valid"] is True and good["party"] == "auditor (party 5)"
    assert [ok for _, ok, _ in good["checks"]] == [True, True, True]  # type: ignore[attr-defined]
    refused = check(b'{"report": {}}', "stranger")
    assert refused["valid"] is False and refused["signer"] == "0xB2"
    assert [ok for _, ok, _ in refused["checks"]] == [True, False, None]  # type: ignore[attr-defined]
    assert "SignerNotAuditor" in refused["checks"][1][2]  # type: ignore[index]
    unreadable = check(b"[1]", "junk")
    assert [(n, ok) for n, ok, _ in unreadable["checks"]] == [("readable", False)]  # type: ignore[attr-defined]
    assert check(b"{not json", "valid")["checks"][0][1] is False  # type: ignore[index]


def test_a_verdict_s_warnings_are_notes_not_failures() -> None:
    """Issue 13: a certificate suspended after the step holds, marked as a note."""
    from tracenet.console._web import templates

    check = {"code": "custody-certificate", "rule": "R2", "subject": "claim:1", "ok": True,
             "warning": True, "detail": "claimant Acme: ISCC-1; suspended from 2031-01-01, "
             "recorded later"}  # fmt: skip
    verdict = {"holds": True, "failed": 0, "warnings": 1, "checks": [check]}
    page = templates.get_template("verify.html").render(
        kind="claim", ident=1, verdict=verdict, prov=None, error=None, request=None
    )
    assert 'data-verdict="holds"' in page and "1 note(s) below" in page
    assert '<tr class="warn"><td>holds, note</td>' in page


def test_findings_link_to_the_shipment_or_claim_they_concern() -> None:
    from tracenet.console._web import templates

    events = [
        {"block_number": 5, "log_index": 1, "operation": "shipment", "shipment_id": 7},
        {"block_number": 6, "log_index": 0, "operation": "claim", "claim_id": 3},
        {"block_number": 8, "log_index": 2, "operation": "conversion", "conversion_id": 2},
        {"block_number": 9, "log_index": 4},
    ]
    report = {"class_name": "rPET-flake", "reconciles": False, "as_of": {"block_number": 9},
              "units": [], "findings": [
                  {"kind": "unit does not reconcile", "unit_id": 2, "events": events}]}  # fmt: skip
    keys = (
        "created_g",
        "converted_in_g",
        "received_g",
        "sent_g",
        "held_g",
        "claimed_g",
        "lapsed_g",
    )
    report["total"] = {k: 0 for k in (*keys, "converted_out_g", "conversion_loss_g")}
    html = templates.env.get_template("audit.html").render(
        report=report,
        values={"class_id": "1", "period": "2031-Q1"},
        caller=None,
        chart="",
        units={2: "Resin site A (unit 2)"},
    )
    assert '<label for="a-class">Class (key or id)</label>' in html  # the key works too
    assert "<strong>unit does not reconcile</strong>, Resin site A (unit 2)" in html
    # the auditor's pages open its findings by id, through its own key (issue 25)
    assert '<a class="event" href="/open/shipment/7">shipment 7</a>' in html
    assert '<a class="event" href="/open/claim/3">claim 3</a>' in html
    assert "conversion 2, block 8 log 2" in html and "block 9 log 4" in html


def test_the_chain_puts_each_check_on_its_step_in_ledger_order() -> None:
    from tracenet.console._chain import chain_steps

    prov = {
        "nodes": [
            {"key": "claim:1", "amount_g": 5, "block_number": 30},
            {"key": "input:1", "amount_g": 9, "block_number": 10},
            {"key": "conversion:1", "amount_g": 5, "block_number": 20},
        ],
        "edges": [{"source": "input:1", "target": "conversion:1", "amount_g": 6},
                  {"source": "conversion:1", "target": "claim:1", "amount_g": 5}],
    }  # fmt: skip
    verdict = {"checks": [
        {"subject": "input:1", "ok": True, "rule": "R3", "code": "certificate-known"},
        {"subject": "conversion:1", "ok": False, "rule": "R5", "code": "conversion-factor"},
        {"subject": "conversion:1", "ok": True, "rule": "R5", "code": "conversion-process"},
        {"subject": "ledger", "ok": True, "rule": "R9", "code": "records-complete"},
    ]}  # fmt: skip
    steps = chain_steps(prov, verdict)
    assert [(s["key"], s["verdict"]) for s in steps] == [
        ("input:1", "holds"), ("conversion:1", "fails"), ("claim:1", "unchecked"),
    ]  # fmt: skip
    assert steps[1]["sources"] == [("input:1", 6)] and len(steps[1]["checks"]) == 2
    assert steps[2]["page"] is None  # no page by id: the public pages take references


def test_registry_rows_show_enumerations_by_their_contracts_names() -> None:
    from tracenet.console._names import named_rows

    rows = named_rows([
        {"id": 1, "model": "mass_balance", "attribution": "rolling_average",
         "raw_material": "bio_circular", "waste": False},
        {"id": 2, "roles": ["certifier", "member"], "custody": "certified"},
        {"id": 3, "model": "9", "raw_material": "bio"},  # unknown to this console: as it came
        {"id": 4, "scheme_id": 1, "scheme": "ISCC PLUS", "boundary_id": 0, "boundary": None},
    ])  # fmt: skip
    assert rows == [
        {"id": 1, "model": "mass_balance", "attribution": "rolling_average",
         "raw_material": "bio-circular", "waste": False},
        {"id": 2, "roles": "certifier member", "custody": "certified"},
        {"id": 3, "model": "9", "raw_material": "bio"},
        {"id": 4, "scheme": "ISCC PLUS (1)", "boundary_id": 0, "boundary": None},
    ]  # fmt: skip


def test_pages_name_units_as_the_registry_does_not_by_id() -> None:
    from tracenet.console._chain import chain_steps
    from tracenet.console._web import templates

    step = {"key": "shipment:4", "kind": "shipment", "amount_g": 5, "block_number": 7,
            "document_hash": "0x" + "ab" * 32, "quantity_g": 9,
            "from_unit_id": 1, "to_unit_id": 2}  # fmt: skip
    prov = {"nodes": [step], "edges": [], "origins": [], "target": {"amount_g": 5}}
    units = {1: "Plant (unit 1)", 2: "Brand DC (unit 2)"}
    verify = templates.get_template("verify.html").render(
        kind="shipment", ident=4, prov=prov, steps=[step], units=units, request=None
    )
    assert "Plant (unit 1) → Brand DC (unit 2)" in verify and "unit 1 → 2" not in verify
    chain = templates.get_template("chain.html").render(
        kind="shipment", ident=4, steps=chain_steps(prov, None), units=units, request=None
    )
    assert "Plant (unit 1) → Brand DC (unit 2)" in chain
    unnamed = templates.get_template("chain.html").render(
        kind="shipment", ident=4, steps=chain_steps(prov, None), request=None
    )
    assert "unit 1 → unit 2" in unnamed  # a console without a read key: the ids, plainly
    balance = {"unit": 1, "class": 1, "class_name": "rpet-flake", "label": "2031-Q1", "batch": 0,
               "amount": 5, "lapses": "", "token_id": "9"}  # fmt: skip
    party = templates.get_template("party.html").render(
        caller={"party": "recycler", "indexer_key": "k"}, balances=[balance], units=units,
        requests=[], request=None,
    )  # fmt: skip
    assert "<tr><td>Plant (unit 1)</td>" in party
    received = {"shipment_id": 4, "from_unit_id": 1, "from_unit": "Plant", "to_unit_id": 2,
                "quantity_g": 9, "credits_g": 5, "share_bps": 5555}  # fmt: skip
    shipments = templates.get_template("shipments.html").render(
        indexed=True, incoming=[received], outgoing=[], units={}, request=None, caller=None
    )
    assert "<td>Plant (unit 1)</td>" in shipments


def offer_the_gateways_writes(client: TestClient, url: str = "http://127.0.0.1:9") -> None:
    """The console's cache holds the real gateway's OpenAPI for ``url`` (no gateway runs)."""
    from tests.console.test_offered import gateway_openapi
    from tracenet.console._offered import Offered

    client.app.state.offered.put(url, Offered.from_openapi(gateway_openapi()))  # type: ignore[attr-defined]


def test_a_party_sees_the_forms_of_its_roles_and_lands_on_its_page(client: TestClient) -> None:
    from tracenet.console._roles import landing
    from tracenet.console._session import COOKIE, Session

    def signed_in(roles: int | None) -> None:
        session = Session("certifier", "http://127.0.0.1:9", "gk", "ik", party_id=2, roles=roles)
        client.cookies.set(COOKIE, client.app.state.sessions.open(session))  # type: ignore[attr-defined]

    offer_the_gateways_writes(client)
    with client:
        signed_in(2)  # the certification body
        page = client.get("/party/operations")
        assert (
            "Register a certificate" in page.text and "Register a conversion process" in page.text
        )
        assert "Register a party" not in page.text and "Register a credit class" not in page.text
        assert (
            "Record a certified input" not in page.text and 'data-forms="ledger"' not in page.text
        )
        nav = page.text.split("</nav>")[0]
        assert 'href="/party/registry/parties"' in nav and 'href="/party">Balances' not in nav
        assert 'href="/audit"' not in nav
        refused = client.get("/party/operations/class")
        assert refused.status_code == 403 and "AccessRoleMissing" in refused.text
        assert "needs the admin role; certifier holds certifier" in refused.text
        write = {"name": "X", "roles": "8", FIELD: form_token(client)}
        posted = client.post("/party/operations/party", data=write)
        assert posted.status_code == 403 and "AccessRoleMissing" in posted.text  # never sent
        signed_in(8 | 16)  # a recycler: member and origin
        page = client.get("/party/operations")
        assert "Record a certified input" in page.text and "Ship credits" in page.text
        assert 'data-forms="registry"' not in page.text
        assert 'href="/party">Balances' in page.text and 'href="/audit"' not in page.text
        signed_in(None)  # no read key: the roles are unknown, every form is offered
        page = client.get("/party/operations")
        assert "Register a party" in page.text and "Record a certified input" in page.text
    assert landing(1) == "/party/registry/parties" and landing(2) == "/party/registry/certificates"
    assert landing(4) == "/audit" and landing(8 | 16) == "/party" and landing(1 | 8) == "/party"
    assert landing(None) == "/party"


def test_a_party_s_roles_are_read_from_the_registry_listing() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tracenet.console import IndexerClient
    from tracenet.console._roles import party_roles

    rows = [{"id": 1, "roles": ["admin"]}, {"id": 2, "roles": ["certifier"]}]

    def roles_of(party: int | None, status: int = 200) -> int | None:
        client = IndexerClient("http://indexer", "k", timeout=1)
        answer = httpx.Response(status, json={"rows": rows} if status == 200 else {})
        client.http = httpx.AsyncClient(
            base_url="http://indexer", transport=httpx.MockTransport(lambda _: answer)
        )
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, party_roles(client, party)).result()

    assert roles_of(2) == 2 and roles_of(1) == 1
    assert roles_of(7) is None and roles_of(None) is None and roles_of(2, 401) is None


def test_balances_ask_the_statement_for_a_vintage_by_its_index_syntax() -> None:
    """Issue 26: the console read each class's period length from a statement asked with
    ``period=<index>``, which the indexer now reads as a year: it sends ``index:<n>``."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tracenet.console._balances import balance_rows
    from tracenet.console._clients import GatewayClient, IndexerClient

    asked: list[str] = []

    def indexer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/balances":
            row = {"unit_id": 1, "class_id": 1, "vintage": "2027-Q1", "vintage_index": 228,
                   "batch": 0, "token_id": "1", "amount_g": 5}  # fmt: skip
            return httpx.Response(200, json={"balances": [row]})
        asked.append(request.url.params["period"])
        return httpx.Response(200, json={"period_months": 3, "class_name": "rPET flake"})

    def gateway(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"windows": [
            {"credit_class": 1, "first_vintage_index": 227,
             "current_vintage_index": 228}]})  # fmt: skip

    ix = IndexerClient("http://indexer", "k", timeout=1)
    ix.http = httpx.AsyncClient(base_url="http://indexer", transport=httpx.MockTransport(indexer))
    gw = GatewayClient("http://gateway", "k", timeout=1)
    gw.http = httpx.AsyncClient(base_url="http://gateway", transport=httpx.MockTransport(gateway))
    with ThreadPoolExecutor(1) as pool:
        (row,) = pool.submit(asyncio.run, balance_rows(gw, ix)).result()
    assert asked == ["index:228"]
    assert (row["label"], row["lapses"]) == ("2027-Q1", "2027-07-01")


#: The pages anyone may open (issue 26): limited per client, 429 with Retry-After past the rate.
PUBLIC_PAGES = ["/", "/search?q=claim+1", "/verify/claim/1", "/verify/shipment/1",
                "/verify/document", "/chain/claim/1", "/signin"]  # fmt: skip


def _answering(seen: list[httpx.Request]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"code": "TN-IX-404-04", "error": "ShipmentUnknown", "field": None,
                "message": "no such", "args": {}}  # fmt: skip
        return httpx.Response(404, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://ix")


def test_each_public_page_answers_429_with_retry_after_past_its_rate() -> None:
    settings = ConsoleSettings(
        indexer_url="http://127.0.0.1:9", public_burst=2, public_rate_per_minute=4,
        document_burst=1, document_rate_per_minute=1,
    )  # fmt: skip
    app = create_app(settings)
    with TestClient(app, client=("127.0.0.1", 50000), follow_redirects=False) as c:
        app.state.public_indexer.http = _answering([])
        for n, page in enumerate(PUBLIC_PAGES):
            buyer = {"X-Forwarded-For": f"192.0.2.{n}"}  # from a trusted proxy
            assert [c.get(page, headers=buyer).status_code != 429 for _ in range(2)] == [True] * 2
            refused = c.get(page, headers=buyer)
            assert refused.status_code == 429, page
            assert "TN-CO-429-01" in refused.text and "RateLimited" in refused.text
            assert 1 <= int(refused.headers["Retry-After"]) <= 15
            assert refused.headers["Content-Security-Policy"].startswith("default-src 'self'")
        pdf = {"document": ("sd.pdf", b"%PDF-1.4", "application/pdf")}
        buyer = {"X-Forwarded-For": "198.51.100.3"}
        assert c.post("/verify/document", files=pdf, headers=buyer).status_code != 429
        refused = c.post("/verify/document", files=pdf, headers=buyer)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        # a party's pages are not limited here (each sends to the sign-in page)
        assert {c.get("/party").status_code for _ in range(10)} == {303}


def test_the_indexer_is_told_which_buyer_it_answers_not_the_console() -> None:
    settings = ConsoleSettings(indexer_url="http://127.0.0.1:9", public_rate_per_minute=0)
    app = create_app(settings)
    seen: list[httpx.Request] = []
    with TestClient(app, client=("127.0.0.1", 50000)) as proxied:
        app.state.public_indexer.http = _answering(seen)
        proxied.get(f"/verify/claim/{'1' * 32}", headers={"X-Forwarded-For": "198.51.100.4"})
        assert {r.headers["X-Forwarded-For"] for r in seen} == {"198.51.100.4"}
        seen.clear()
    with TestClient(app, client=("203.0.113.9", 50000)) as direct:
        app.state.public_indexer.http = _answering(seen)
        direct.get(f"/verify/shipment/{'1' * 32}", headers={"X-Forwarded-For": "198.51.100.4"})
        assert {r.headers["X-Forwarded-For"] for r in seen} == {"203.0.113.9"}  # not believed


def test_forms_resolve_display_names_and_pick_lines_from_the_balance() -> None:
    """Issue 21: names as offered (any case) become ids, a shared name is refused beside its
    field, lines come from what the acting unit holds (lapsed, too much, another unit's:
    refused in sentences), "all" takes the whole holding."""
    from tracenet.console._choices import Choice, Choices, Holding

    plant = Choice(1, "Plant", "unit 1 · Recycler", own=True)
    choices = Choices(
        entities={
            "units": [plant, Choice(2, "Brand DC", "unit 2 · Brand"),
                      Choice(3, "Depot", "unit 3 · Brand"), Choice(4, "Depot", "unit 4 · X")],
            "product-groups": [Choice(1, "PET flakes", "product group 1")],
        },
        holdings=[
            Holding("111", 1, "Plant", "rPET-flake", "2027-Q3", 5_000_000),
            Holding("222", 1, "Plant", "rPET-flake", "2027-Q1", 2_000_000, lapsed=True),
            Holding("333", 2, "Brand DC", "rPET-flake", "2027-Q3", 9_000_000),
        ],
        own_units=[plant],
    )  # fmt: skip
    ship = find(PARTY_FORMS, "ship")
    assert ship is not None
    typed = {
        "unit": "plant", "to_unit": "brand dc", "product_group": "PET flakes",
        "quantity": "6 t", "document_hash": "0x" + "ab" * 32, "order_ref": "PO-1",
        "product": "flakes", "line-111": "3 t",
    }  # fmt: skip
    body = build_body(ship, typed, choices)
    assert (body["unit"], body["to_unit"], body["product_group"]) == (1, 2, 1)
    assert body["lines"] == [{"token_id": "111", "amount": 3_000_000}]
    whole = build_body(ship, {**typed, "line-111": "all"}, choices)
    assert whole["lines"][0]["amount"] == 5_000_000
    with pytest.raises(FormError) as bad:
        build_body(ship, {**typed, "to_unit": "Depot", "line-111": "6 t", "line-222": "1 t",
                          "line-333": "1 kg"}, choices)  # fmt: skip
    assert "unit 3 · Brand, unit 4 · X" in bad.value.errors["to_unit"]
    lines = bad.value.errors["lines"]
    assert "6 t is more than the 5 t held" in lines
    assert "rPET-flake 2027-Q1 has lapsed" in lines
    assert "rPET-flake 2027-Q3 is held by Brand DC, not the acting unit" in lines
    assert build_body(ship, {**typed, "unit": "unit-key"}, choices)["unit"] == "unit-key"


def test_admin_forms_take_roles_ticked_identifiers_by_kind_and_shares_in_percent() -> None:
    import hashlib

    party = find(ADMIN_FORMS, "party")
    assert party is not None
    lei = "5299000J2N45DDNE4Y28"
    body = build_body(party, {"name": "Green Bottles BV", "roles": ["member", "origin"],
                              "identifier_kind": "lei", "identifier": lei.lower()})  # fmt: skip
    assert body["roles"] == ["member", "origin"]
    assert body["identifier"] == "0x" + hashlib.sha256(f"LEI:{lei}".encode()).hexdigest()
    with pytest.raises(FormError) as bad:
        build_body(party, {"name": "X", "roles": ["member", "boss"], "identifier_kind": "lei",
                           "identifier": lei[:-1] + "9"})  # fmt: skip
    assert set(bad.value.errors) == {"roles", "identifier"}
    assert "ISO 17442" in bad.value.errors["identifier"]
    gln = {"name": "X", "roles": [], "identifier_kind": "gln"}
    assert build_body(party, {**gln, "identifier": "4006381333931"})["identifier"].startswith("0x")
    with pytest.raises(FormError):
        build_body(party, {**gln, "identifier": "4006381333932"})
    group = find(ADMIN_FORMS, "group")
    assert group is not None
    assert build_body(group, {"name": "PET", "max_share_bps": "100 %"})["max_share_bps"] == 10_000
    assert build_body(group, {"name": "PET", "max_share_bps": "12.5"})["max_share_bps"] == 1_250
    with pytest.raises(FormError):
        build_body(group, {"name": "PET", "max_share_bps": "120 %"})


def test_every_form_renders_its_pickers_from_the_registry_and_the_balance(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: every form page shows names to pick (a datalist per entity field, ticks for
    roles and covered classes), the party's own unit filled in, holdings in t — no token id."""
    from tracenet.console._clients import ApiError, _Client
    from tracenet.console._session import COOKIE, Session

    rows = {
        "units": [{"id": 1, "name": "Plant", "party_id": 3, "party": "Recycler"},
                  {"id": 2, "name": "Brand DC", "party_id": 4, "party": "Brand"}],
        "classes": [{"id": 1, "name": "rPET-flake", "period_months": 3}],
        "parties": [{"id": 3, "name": "Recycler"}],
    }  # fmt: skip
    token = str((1 << 64) | (228 << 32))

    async def get(self: _Client, path: str, **_: object) -> object:
        kind = path.removeprefix("/v1/registry/")
        if kind in rows:
            return {"rows": rows[kind]}
        if path == "/v1/balances":
            return {"balances": [{"unit_id": 1, "class_id": 1, "vintage": "2027-Q1",
                                  "vintage_index": 228, "batch": 0, "token_id": token,
                                  "amount_g": 6_000_000}]}  # fmt: skip
        if path == "/v1/balances/1":
            return {"windows": [{"credit_class": 1, "first_vintage_index": 227,
                                 "current_vintage_index": 229}]}  # fmt: skip
        raise ApiError(404, "TN-X", "NotFound", path)

    monkeypatch.setattr(_Client, "get", get)
    offer_the_gateways_writes(client)
    with client:
        session = Session("recycler", "http://127.0.0.1:9", "gk", "ik", party_id=3, roles=None)
        client.cookies.set(COOKIE, client.app.state.sessions.open(session))  # type: ignore[attr-defined]
        for form in (*PARTY_FORMS, *ADMIN_FORMS):
            page = client.get(f"/party/operations/{form.key}")
            assert page.status_code == 200, (form.key, page.text[:500])
            for f in form.fields:
                assert f.label in page.text, (form.key, f.label)
                if f.kind == "ref" and f.entity in rows:
                    assert f'list="dl-{f.name}"' in page.text, (form.key, f.name)
        ship = client.get("/party/operations/ship").text
        assert 'id="f-unit" name="unit" type="text" value="Plant"' in ship
        assert '<option value="Brand DC">unit 2 · Brand</option>' in ship
        assert ">6 t<" in ship and "2027-Q1" in ship and 'title="6 000 000 g"' in ship
        assert token not in ship.split("All fields")[0]  # the token id only behind "All fields"
        party = client.get("/party/operations/party").text
        assert party.count('type="checkbox" name="roles"') == 5
        assert "LEI (20 characters, ISO 17442)" in party
        cert = client.get("/party/operations/certificate").text
        assert 'name="classes" value="1"' in cert and 'type="date"' in cert


def test_the_inbox_offers_accept_and_reject_and_the_sender_recall_one_click_each() -> None:
    """Issue 19: /party/shipments puts the shipments awaiting the party's acceptance first, each
    with an Accept button and a Reject form (a labelled reason), and the party's own pending
    shipments with a Recall button; every shipment says where it stands."""
    from tracenet.console._web import templates

    pending = {"state": "pending", "deadline": "2031-01-04T12:00:00Z", "reason": None,
               "text": "awaiting acceptance until 2031-01-04T12:00:00Z"}  # fmt: skip
    rejected = {"state": "rejected", "reason": "wet", "text": "rejected on 2031-01-02: wet"}
    inbox = {"shipment_id": 7, "from_unit_id": 1, "from_unit": "Plant", "to_unit_id": 2,
             "quantity_g": 9, "credits_g": 5, "share_bps": 5555, "acceptance": pending}  # fmt: skip
    mine = {**inbox, "shipment_id": 8, "from_unit_id": 2, "to_unit_id": 1, "to_unit": "Plant"}
    back = {**inbox, "shipment_id": 9, "acceptance": rejected}
    page = templates.get_template("shipments.html").render(
        indexed=True, incoming=[inbox, back], outgoing=[mine], inbox=[inbox], awaiting=[mine],
        units={}, request=None, caller=None, csrf_token="tok",
    )  # fmt: skip
    box = page.split("data-inbox")[1].split("</section>")[0]
    assert "Awaiting your acceptance" in page and 'action="/party/operations/accept"' in box
    assert 'action="/party/operations/reject"' in box and '<label for="reason-7">' in box
    assert 'name="shipment" value="7"' in box and 'name="unit" value="2"' in box
    assert 'name="csrf_token" value="tok"' in box
    sent = page.split("data-awaiting")[1].split("</section>")[0]
    assert 'action="/party/operations/recall"' in sent and 'value="8"' in sent
    assert 'data-acceptance="rejected">rejected on 2031-01-02: wet<' in page
