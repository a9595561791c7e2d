"""The auditor's pages: the supply audit of a class and period (R13) as a table and a chart,
CSV and JSON downloads, signing the report, and verifying an uploaded signed report.

A signed report is ``{"report": …, "signature": {"signer", "signature", "scheme"}}``: an
EIP-191 personal_sign over the report's canonical JSON. The console signs nothing itself: the
auditor's own gateway signs with the auditor's key it holds (``POST /v1/reports/sign``), and the
indexer verifies (``POST /v1/reports/verify``: the signature, whether the signer acted for an
active auditor party on chain at the report's block and which one, the figures recomputed)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from tracenet.console._clients import ApiError, IndexerClient
from tracenet.console._names import unit_names
from tracenet.console._svg import bar_chart
from tracenet.console._web import CallerDep, GatewayDep, IndexerDep, attempt, render

router = APIRouter()

MAX_UPLOAD = 2_000_000


def _audit_path(class_id: str) -> str:
    return f"/v1/classes/{class_id}/audit"


@router.get("/audit", response_class=HTMLResponse, summary="Supply audit of a class and period")
async def audit(
    request: Request, caller: CallerDep, indexer: IndexerDep, class_id: str = "", period: str = ""
) -> Response:
    report, error, units = None, None, {}
    if class_id.strip() and period.strip():
        report, error = await attempt(
            indexer.get(_audit_path(class_id.strip()[:40]), period=period.strip()[:40])
        )
    if report is not None:
        period = str(report.get("period") or period)  # the label (2026-Q4), even from an index
        units = await unit_names(indexer)
    return render(
        request, "audit.html", report=report, error=error, chart=_chart(report), units=units,
        values={"class_id": class_id, "period": period}, no_key=not caller.indexer_key,
    )  # fmt: skip


@router.get("/audit/report.{fmt}", summary="The audit as CSV or JSON (a download)")
async def download(
    caller: CallerDep, indexer: IndexerDep, fmt: str, class_id: str, period: str
) -> Response:
    name = f"audit-class-{class_id[:20]}-period-{period[:20]}.{fmt[:4]}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        text = await indexer.text(_audit_path(class_id[:40]), period=period[:40], format="csv")
        return Response(text, media_type="text/csv", headers=disposition)
    if fmt == "json":
        report = await indexer.get(_audit_path(class_id[:40]), period=period[:40])
        body = json.dumps(report, indent=2, sort_keys=True)
        return Response(body, media_type="application/json", headers=disposition)
    raise ApiError(404, "TN-CO-404-01", "NotFound", "download report.csv or report.json", "fmt")


@router.post("/audit/sign", response_class=HTMLResponse, summary="Sign the report (gateway)")
async def sign(
    request: Request,
    caller: CallerDep,
    indexer: IndexerDep,
    gateway: GatewayDep,
    class_id: Annotated[str, Form(max_length=40)],
    period: Annotated[str, Form(max_length=40)],
) -> Response:
    """The audit as the indexer gives it, signed by the caller's gateway with its party's key."""
    report = await indexer.get(_audit_path(class_id.strip()), period=period.strip())
    signed, error = await attempt(gateway.post("/v1/reports/sign", {"report": report}))
    token = None
    if signed is not None:
        token = caller.keep(json.dumps(signed, indent=2, sort_keys=True).encode())
    return render(
        request, "audit_signed.html", status=error.status if error else 200, signed=signed,
        error=error, token=token, values={"class_id": class_id, "period": period},
    )  # fmt: skip


@router.get("/audit/signed/{token}.json", summary="A report signed in this session (download)")
async def signed_download(caller: CallerDep, token: str) -> Response:
    document = caller.documents.get(token[:40])
    if document is None:
        raise ApiError(404, "TN-CO-404-02", "NotFound", "no such signed report in this session")
    disposition = {"Content-Disposition": 'attachment; filename="signed-audit-report.json"'}
    return Response(document, media_type="application/json", headers=disposition)


@router.post("/audit/verify", response_class=HTMLResponse, summary="Verify a signed report")
async def verify_upload(
    request: Request,
    caller: CallerDep,
    indexer: IndexerDep,
    report: Annotated[UploadFile, File(description="a signed report (JSON)")],
) -> Response:
    raw = await report.read(MAX_UPLOAD + 1)
    result = await check_signed_report(raw, indexer)
    status = 200 if result["valid"] else 422
    return render(request, "audit_verify.html", status=status, result=result)


#: The indexer's refusals, by the check they fail (the checks before it held).
_FAILS = {"SignatureInvalid": 0, "SignerNotAuditor": 1, "ReportFiguresDiffer": 2}
_CHECKS = ("signature", "signer an active auditor on chain", "figures recomputed from the chain")


async def check_signed_report(raw: bytes, indexer: IndexerClient) -> dict[str, Any]:
    """``valid``, the ``signer``, its auditor ``party`` and one line per check (name, ok or
    ``None`` when not checked, detail), as the indexer's ``POST /v1/reports/verify`` answers."""
    checks: list[tuple[str, bool | None, str]] = []  # None: not checked
    result: dict[str, Any] = {"valid": False, "signer": None, "party": None, "checks": checks}
    if len(raw) > MAX_UPLOAD:
        checks.append(("readable", False, f"larger than {MAX_UPLOAD} bytes"))
        return result
    try:
        document = json.loads(raw)
    except ValueError as exc:
        checks.append(("readable", False, f"not JSON: {exc}"))
        return result
    try:
        verdict = await indexer.post("/v1/reports/verify", document)
    except ApiError as exc:
        failed = _FAILS.get(exc.error)
        if failed is None:  # not a report at all, or the indexer could not answer
            checks.append(("readable", False, f"{exc.error}: {exc.message}"))
            return result
        args = exc.error_args if isinstance(exc.error_args, dict) else {}
        result["signer"] = args.get("signer")
        for i, name in enumerate(_CHECKS):
            if i < failed:
                checks.append((name, True, _held(i, args)))
            elif i == failed:
                checks.append((name, False, f"{exc.error}: {exc.message}"))
            else:
                checks.append((name, None, "a check before it failed"))
        return result
    party = f"{verdict['party']} (party {verdict['party_id']})"
    result |= {"valid": True, "signer": verdict["signer"], "party": party,
               "block": verdict["block_number"]}  # fmt: skip
    checks += [
        (_CHECKS[0], True, f"signed by {verdict['signer']}"),
        (_CHECKS[1], True, f"for {party}, an active auditor at block {verdict['block_number']}"),
        (_CHECKS[2], True, "every figure matches: " + ", ".join(verdict["compared"])),
    ]
    return result


def _held(check: int, args: dict[str, Any]) -> str:
    if check == 0:
        return f"signed by {args.get('signer', 'the named signer')}"
    return f"for party {args.get('party_id')}, an active auditor at the report's block"


def _chart(report: dict[str, Any] | None) -> str:
    if not report or not isinstance(report.get("total"), dict):
        return ""
    t = report["total"]
    keys = ("created", "converted in", "held", "claimed", "lapsed", "conversion loss", "sent")
    return bar_chart(
        "Reconciliation, all units (grams)",
        [(k, int(t.get(k.replace(" ", "_") + "_g", 0))) for k in keys],
        colours=("#2f7d4a", "#2f7d4a", "#3b6ea8", "#b5651d", "#8a8a8a", "#7d3b8a", "#3b6ea8"),
    )
