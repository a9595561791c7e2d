"""The buyer's pages, no sign-in: a claim's or a shipment's verdict, provenance and SD.

The verdict is the chain-only verifier's, asked of the indexer; the provenance graph, the
certificates, factors and document hashes come from the indexer's provenance report."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracenet.console._clients import IndexerClient
from tracenet.console._names import unit_names
from tracenet.console._svg import provenance_graph
from tracenet.console._web import PublicIndexerDep, attempt, render, session_of

router = APIRouter()

Ident = Annotated[int, Path(ge=1, lt=2**63, description="the claim or shipment id")]
_QUERY = re.compile(r"^\s*(claim|c|shipment|s|sd|sd-)?\s*[#:\-]?\s*(\d{1,18})\s*$", re.I)
#: The SD number as printed on the document: ``SD-<chain id>-<shipment id>``.
_SD_NUMBER = re.compile(r"^\s*sd\s*-?\s*\d{1,18}-(\d{1,18})\s*$", re.I)


#: What a person is told when the id in a buyer's link is not one (never the field's name).
_IDENT_HINT = {
    "claim": "a claim is a number like 12",
    "shipment": "a shipment is a number like 12 or an SD number like SD-7177-12",
}


def bad_ident(request: Request) -> Response:
    """``/verify/shipment/SD-7177-12`` opens shipment 12; any other id that is not one is the
    search page again (422) saying what a claim or a shipment number looks like."""
    parts = request.url.path.strip("/").split("/")
    kind = parts[1] if len(parts) > 2 and parts[1] in _IDENT_HINT else "shipment"
    given = unquote(parts[2] if len(parts) > 2 else "")[:60]
    printed = _SD_NUMBER.match(given) if kind == "shipment" else None
    if printed is not None:
        return RedirectResponse(f"/{parts[0]}/shipment/{int(printed.group(1))}", status_code=303)
    return render(
        request, "home.html", status=422, query=given,
        gateways=sorted(request.app.state.settings.gateways),
        error=f"“{given}” is not a {kind} number: {_IDENT_HINT[kind]}.",
    )  # fmt: skip


@router.get("/", response_class=HTMLResponse, summary="Home: search and sign-in")
async def home(request: Request) -> Response:
    return render(request, "home.html", gateways=sorted(request.app.state.settings.gateways))


@router.get("/search", summary="A claim id, a shipment id or an SD")
async def search(request: Request, q: str = "") -> Response:
    printed = _SD_NUMBER.match(q[:200])
    if printed is not None:
        return RedirectResponse(f"/verify/shipment/{int(printed.group(1))}", status_code=303)
    match = _QUERY.match(q[:200])
    if match is None:
        return render(
            request, "home.html", status=422, query=q,
            gateways=sorted(request.app.state.settings.gateways),
            error="write a claim id (claim 12), a shipment id (shipment 7) or an SD number (SD-7)",
        )  # fmt: skip
    kind, ident = (match.group(1) or "").lower(), int(match.group(2))
    if kind.startswith("c"):
        return RedirectResponse(f"/verify/claim/{ident}", status_code=303)
    if kind:
        return RedirectResponse(f"/verify/shipment/{ident}", status_code=303)
    return render(request, "choose.html", ident=ident)


@router.get("/verify/claim/{ident}", response_class=HTMLResponse, summary="Verify a claim")
async def verify_claim(request: Request, indexer: PublicIndexerDep, ident: Ident) -> Response:
    return await _verify_page(request, indexer, "claim", ident)


@router.get("/verify/shipment/{ident}", response_class=HTMLResponse, summary="Verify a shipment")
async def verify_shipment(request: Request, indexer: PublicIndexerDep, ident: Ident) -> Response:
    return await _verify_page(request, indexer, "shipment", ident)


async def _verify_page(request: Request, indexer: Any, kind: str, ident: int) -> Response:
    verdict, verdict_error = await attempt(indexer.get(f"/v1/{kind}s/{ident}/verification"))
    prov, error = None, None
    if request.app.state.settings.indexer_key:
        prov, error = await attempt(indexer.get(f"/v1/{kind}s/{ident}/provenance"))
    if prov is None and verdict is not None and verdict.get("lineage"):
        prov, error = from_verdict(verdict["lineage"]), None  # the public lineage will do
    if prov is None and error is None:
        error = verdict_error
    if error is not None and error.status == 404:
        return render(request, "verify.html", status=404, kind=kind, ident=ident, error=error)
    sd, sd_error = (None, None)
    if kind == "shipment":
        sd, sd_error = await attempt(indexer.get(f"/v1/shipments/{ident}/declaration"))
    return render(
        request,
        "verify.html",
        status=error.status if error is not None and verdict is None else 200,
        kind=kind,
        ident=ident,
        prov=prov,
        error=error,
        graph=provenance_graph(prov) if prov else "",
        steps=steps_of(prov) if prov else [],
        verdict=verdict,
        verdict_error=verdict_error,
        sd=sd,
        sd_error=sd_error,
        units=await public_unit_names(request, indexer) if prov else {},
    )


@router.get(
    "/verify/shipment/{ident}/declaration.{fmt}",
    summary="The shipment's Sustainability Declaration as a PDF or HTML file (a download)",
)
async def declaration_file(
    request: Request, indexer: PublicIndexerDep, ident: Ident, fmt: Literal["pdf", "html"]
) -> Response:
    """The indexer's SD, drawn from the chain record, read with the signed-in party's key when
    it has one (a counterparty of the shipment), else with the console's; always a download,
    so the indexer's page never runs under the console's origin."""
    caller = session_of(request)
    if caller is not None and caller.indexer_key:
        s = request.app.state.settings
        own = IndexerClient(s.indexer_url, caller.indexer_key, timeout=s.timeout)
        try:
            answer = await own.request("GET", f"/v1/shipments/{ident}/declaration.{fmt}")
        finally:
            await own.aclose()
    else:
        answer = await indexer.request("GET", f"/v1/shipments/{ident}/declaration.{fmt}")
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"SD-shipment-{ident}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(answer.content, media_type=media, headers=headers)


async def public_unit_names(request: Request, indexer: IndexerClient) -> dict[int, str]:
    """The registry's unit names, when the console has a read key of its own."""
    return await unit_names(indexer) if request.app.state.settings.indexer_key else {}


def from_verdict(lineage: dict[str, Any]) -> dict[str, Any]:
    """The verifier's lineage as a provenance report: the same shape (issue 18), with the
    method named and no depth."""
    return {
        **lineage,
        "allocation_method": "pro-rata (the chain-only verifier's lineage)",
        "depth": "",
    }


def steps_of(prov: dict[str, Any]) -> list[dict[str, Any]]:
    """Each node of the lineage, in chain order, with its block and transaction."""
    nodes = [n for n in prov.get("nodes") or [] if n.get("block_number") is not None]
    return sorted(nodes, key=lambda n: (int(n["block_number"]), int(n.get("log_index") or 0)))
