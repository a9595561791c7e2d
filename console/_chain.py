"""The conversion chain of a claim or a shipment, step by step: from each certified input
through shipments, transfers and conversions to the target, each step with what the chain-only
verifier found about it (the checks whose subject is that step) and the credits that came in.

No sign-in: the verdict and its lineage are public (the indexer's ``/verification``); with the
console's read key the steps carry the provenance report's details (certificate numbers,
process names, document hashes)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracenet.console._buyer import Ident, from_verdict, public_unit_names, steps_of
from tracenet.console._web import PublicIndexerDep, attempt, render

router = APIRouter()

#: The lineage node kinds a page of their own exists for.
_PAGES = {"shipment", "claim"}


@router.get("/chain/{kind}/{ident}", response_class=HTMLResponse, summary="Conversion chain")
async def chain(
    request: Request, indexer: PublicIndexerDep, kind: Literal["claim", "shipment"], ident: Ident
) -> Response:
    verdict, verdict_error = await attempt(indexer.get(f"/v1/{kind}s/{ident}/verification"))
    prov, error = None, None
    if request.app.state.settings.indexer_key:
        prov, error = await attempt(indexer.get(f"/v1/{kind}s/{ident}/provenance"))
    if prov is None and verdict is not None and verdict.get("lineage"):
        prov, error = from_verdict(verdict["lineage"]), None
    if prov is None:
        error = error or verdict_error
        status = error.status if error is not None else 502
        return render(request, "chain.html", status=status, kind=kind, ident=ident, error=error)
    steps = chain_steps(prov, verdict)
    keys = {s["key"] for s in steps}
    checks = (verdict or {}).get("checks") or []
    return render(
        request, "chain.html", kind=kind, ident=ident, steps=steps, verdict=verdict,
        verdict_error=verdict_error, prov=prov,
        whole=[c for c in checks if c.get("subject") not in keys],
        units=await public_unit_names(request, indexer),
    )  # fmt: skip


def chain_steps(prov: dict[str, Any], verdict: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The lineage's nodes in chain order, each with ``checks``, ``verdict`` (holds, fails or
    unchecked), ``sources`` (key, grams) and ``page`` (its own verify link, if it has one)."""
    checks = (verdict or {}).get("checks") or []
    edges = prov.get("edges") or []
    steps = []
    for node in steps_of(prov):
        key = str(node["key"])
        mine = [c for c in checks if c.get("subject") == key]
        kind, _, number = key.partition(":")
        steps.append(
            {
                **node,
                "checks": mine,
                "verdict": "unchecked" if not mine
                else "holds" if all(c.get("ok") for c in mine) else "fails",
                "sources": [(e["source"], e["amount_g"]) for e in edges if e.get("target") == key],
                "page": f"/verify/{kind}/{number}" if kind in _PAGES and number.isdigit() else None,
            }
        )  # fmt: skip
    return steps
