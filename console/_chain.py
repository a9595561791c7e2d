"""The conversion chain of a claim or a shipment, step by step: from each certified input
through shipments, transfers and conversions to the target, each step with what the chain-only
verifier found about it (the checks whose subject is that step) and the credits that came in.

By public reference, no sign-in (issue 25): a buyer reads each step by role, country, scheme,
certificate status and share (the indexer's public view); a signed-in party entitled to the
full view (its own, its counterparty's, an auditor) reads the provenance report's details
(certificate numbers, process names, document hashes, grams)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracenet.console._buyer import REF, Ref, not_found, steps_of, views
from tracenet.console._web import PublicIndexerDep, render

router = APIRouter()


@router.get("/chain/{kind}/{ref}", response_class=HTMLResponse, summary="Conversion chain")
async def chain(
    request: Request, indexer: PublicIndexerDep, kind: Literal["claim", "shipment"], ref: Ref
) -> Response:
    if not REF.match(ref):
        return not_found(request)
    v = await views(request, indexer, kind, ref)
    verdict, error = v["verdict"], v["verdict_error"]
    if error is not None and error.status == 404:
        return not_found(request)
    if verdict is None:
        status = error.status if error is not None else 502
        return render(request, "chain.html", status=status, kind=kind, ref=ref, error=error)
    prov = v["prov"]
    steps = chain_steps(prov, verdict) if prov else public_steps(verdict)
    keys = {s["key"] for s in steps}
    checks = verdict.get("checks") or []
    return render(
        request, "chain.html", kind=kind, ref=ref, steps=steps, verdict=verdict,
        verdict_error=error, prov=prov, full=v["full"],
        whole=[c for c in checks if c.get("subject") not in keys],
        units=v["units"],
    )  # fmt: skip


def _judged(checks: list[dict[str, Any]]) -> str:
    if not checks:
        return "unchecked"
    return "holds" if all(c.get("ok") for c in checks) else "fails"


def public_steps(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """The public view's chain of custody as steps of the page (no ids, no grams unless the
    party disclosed them)."""
    checks = verdict.get("checks") or []
    steps = []
    for s in verdict.get("chain_of_custody") or []:
        key = f"step {s['step']}"
        mine = [c for c in checks if c.get("subject") == key]
        steps.append({**s, "key": key, "checks": mine, "verdict": _judged(mine), "sources": []})
    return steps


def chain_steps(prov: dict[str, Any], verdict: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The lineage's nodes in chain order, each with ``checks``, ``verdict`` (holds, fails or
    unchecked) and ``sources`` (key, grams)."""
    checks = (verdict or {}).get("checks") or []
    edges = prov.get("edges") or []
    steps = []
    for node in steps_of(prov):
        key = str(node["key"])
        mine = [c for c in checks if c.get("subject") == key]
        steps.append(
            {
                **node,
                "checks": mine,
                "verdict": _judged(mine),
                "sources": [(e["source"], e["amount_g"]) for e in edges if e.get("target") == key],
                "page": None,
            }
        )
    return steps
