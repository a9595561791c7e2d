"""The buyer's pages, no sign-in: a claim's or a shipment's verdict, chain of custody and SD,
by the public reference its SD's link and QR code carry (issue 25).

The pages ask the indexer's public routes only, without the console's key: a buyer holding a
link reads the public view (the verdict, the rules checked, the chain of custody by role,
country, scheme and certificate status; names only as parties disclose them). A signed-in party
asks with its own read key: the full view where it is entitled (its own shipments and claims,
its counterparty's, every one for an auditor), with the provenance graph. A sequential id, an
SD number or a malformed reference opens nothing but the same "not found" page; the search
takes the reference (or the link), and an SD number only for a signed-in party, through its
key (``/open/{kind}/{id}``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracenet.console._clients import ApiError, IndexerClient
from tracenet.console._names import unit_names
from tracenet.console._svg import provenance_graph
from tracenet.console._web import CallerDep, PublicIndexerDep, attempt, render, session_of

router = APIRouter()

Ref = Annotated[str, Path(max_length=200, description="the public reference on the SD's link")]
Ident = Annotated[int, Path(ge=1, lt=2**63, description="the claim or shipment id")]
#: A public reference: 128 bits as 32 lowercase hex digits (``indexer.verifier._public_ref``).
REF = re.compile(r"^[0-9a-f]{32}$")
_IN_TEXT = re.compile(r"(?:^|/|\s)([0-9a-fA-F]{32})(?:$|[/?#\s])")
_QUERY = re.compile(r"^\s*(claim|c|shipment|s|sd|sd-)?\s*[#:\-]?\s*(\d{1,18})\s*$", re.I)
#: The SD number as printed on the document: ``SD-<chain id>-<shipment id>``.
_SD_NUMBER = re.compile(r"^\s*sd\s*-?\s*\d{1,18}-(\d{1,18})\s*$", re.I)
#: What everyone is told about a link that opens nothing: the same for an unknown reference, a
#: sequential id and an SD number (nothing says a guess was close).
NOT_FOUND = (
    "Nothing here has this reference. Open the link printed on the Sustainability Declaration "
    "(its QR code), or type the reference of 32 characters it ends with; a claim or shipment "
    "number or an SD number opens a page only for its parties, signed in."
)


def not_found(request: Request, query: str = "") -> Response:
    return render(
        request, "home.html", status=404, query=query[:60], error=NOT_FOUND,
        gateways=sorted(request.app.state.settings.gateways),
    )  # fmt: skip


def bad_ident(request: Request) -> Response:
    """A path whose id is not one: the same page as an unknown reference."""
    return not_found(request)


@router.get("/", response_class=HTMLResponse, summary="Home: search and sign-in")
async def home(request: Request) -> Response:
    return render(request, "home.html", gateways=sorted(request.app.state.settings.gateways))


def _own(request: Request, indexer: IndexerClient) -> IndexerClient | None:
    """The console's indexer client with the signed-in party's read key, if it has one."""
    caller = session_of(request)
    if caller is None or not caller.indexer_key:
        return None
    return indexer.with_key(caller.indexer_key)


@router.get("/search", summary="A public reference or link; an id or SD number when signed in")
async def search(request: Request, indexer: PublicIndexerDep, q: str = "") -> Response:
    q = q[:300]
    found = _IN_TEXT.search(q)
    if found is not None:
        ref = found.group(1).lower()
        for kind in ("shipment", "claim"):
            answer, error = await attempt(indexer.get(f"/v1/{kind}s/{ref}/verification"))
            if answer is not None:
                return RedirectResponse(f"/verify/{kind}/{ref}", status_code=303)
            if error is not None and error.status != 404:
                raise error
        return not_found(request, q)
    printed, match = _SD_NUMBER.match(q), _QUERY.match(q)
    if session_of(request) is None or (printed is None and match is None):
        return not_found(request, q)
    if printed is not None:
        return RedirectResponse(f"/open/shipment/{int(printed.group(1))}", status_code=303)
    assert match is not None
    kind, ident = (match.group(1) or "").lower(), int(match.group(2))
    if kind.startswith("c"):
        return RedirectResponse(f"/open/claim/{ident}", status_code=303)
    if kind:
        return RedirectResponse(f"/open/shipment/{ident}", status_code=303)
    return render(request, "choose.html", ident=ident)


@router.get("/open/{kind}/{ident}", summary="A party's own claim or shipment, by its id")
async def open_own(
    request: Request,
    caller: CallerDep,
    indexer: PublicIndexerDep,
    kind: Literal["claim", "shipment"],
    ident: Ident,
) -> Response:
    """Signed in: the page of one of the party's (or, for an auditor, any) claims or shipments,
    by id: the indexer gives the public reference to those entitled only."""
    own = _own(request, indexer)
    if own is None:
        return not_found(request)
    answer, error = await attempt(own.get(f"/v1/{kind}s/{ident}/reference"))
    if answer is None:
        assert error is not None
        if error.status in (403, 404):
            return not_found(request)
        raise error
    return RedirectResponse(str(answer["verify_path"]), status_code=303)


@router.get("/verify/claim/{ref}", response_class=HTMLResponse, summary="Verify a claim")
async def verify_claim(request: Request, indexer: PublicIndexerDep, ref: Ref) -> Response:
    return await _verify_page(request, indexer, "claim", ref)


@router.get("/verify/shipment/{ref}", response_class=HTMLResponse, summary="Verify a shipment")
async def verify_shipment(request: Request, indexer: PublicIndexerDep, ref: Ref) -> Response:
    return await _verify_page(request, indexer, "shipment", ref)


async def views(
    request: Request, indexer: IndexerClient, kind: str, ref: str, sd: bool = False
) -> dict[str, Any]:
    """The verdict (and SD) as the caller may read them: the public view, or with a signed-in
    party's key the full view where it is entitled, with the provenance and the unit names."""
    own = _own(request, indexer)
    client = own or indexer
    verdict, verdict_error = await attempt(client.get(f"/v1/{kind}s/{ref}/verification"))
    out: dict[str, Any] = {"verdict": verdict, "verdict_error": verdict_error}
    out["full"] = bool(verdict and verdict.get("view") == "full")
    out["prov"], out["error"], out["units"] = None, None, {}
    if out["full"] and own is not None:
        prov, error = await attempt(own.get(f"/v1/{kind}s/{verdict['id']}/provenance"))
        if prov is None and verdict.get("lineage"):
            prov, error = from_verdict(verdict["lineage"]), None
        out["prov"], out["error"] = prov, error
        names, _ = await attempt(unit_names(own))
        out["units"] = names or {}
    if sd:
        out["sd"], out["sd_error"] = await attempt(client.get(f"/v1/shipments/{ref}/declaration"))
    return out


async def _verify_page(request: Request, indexer: Any, kind: str, ref: str) -> Response:
    if not REF.match(ref):
        return not_found(request)
    v = await views(request, indexer, kind, ref, sd=kind == "shipment")
    error: ApiError | None = v["verdict_error"]
    if error is not None and error.status == 404:
        return not_found(request)
    if error is not None and v["verdict"] is None:
        raise error
    sd = v.get("sd")
    label = sd["declaration"] if sd else f"{ref[:8]}…"
    return render(
        request,
        "verify.html",
        kind=kind,
        ref=ref,
        label=label if kind == "shipment" else f"{ref[:8]}…",
        graph=provenance_graph(v["prov"]) if v["prov"] else "",
        steps=steps_of(v["prov"]) if v["prov"] else [],
        **v,
    )


@router.get(
    "/verify/shipment/{ref}/declaration.{fmt}",
    summary="The shipment's Sustainability Declaration as a PDF or HTML file (its parties)",
)
async def declaration_file(
    request: Request, indexer: PublicIndexerDep, ref: Ref, fmt: Literal["pdf", "html"]
) -> Response:
    """The indexer's SD, drawn from the chain record, read with the signed-in party's key (a
    party to the shipment, or an auditor); a buyer holding the link already holds the SD.
    Always a download, so the indexer's page never runs under the console's origin."""
    own = _own(request, indexer) if REF.match(ref) else None
    if own is None:
        return not_found(request)
    full, _ = await attempt(own.get(f"/v1/shipments/{ref}/declaration"))
    if not full or full.get("view") != "full":
        return not_found(request)
    answer = await own.request("GET", f"/v1/shipments/{int(full['shipment_id'])}/declaration.{fmt}")
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"{full['declaration']}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(answer.content, media_type=media, headers=headers)


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
