"""The auditor's pages: the supply audit of a class and period (R13) as a table and a chart,
CSV and JSON downloads, and the verification of an uploaded signed report.

A signed report is ``{"report": …, "signature": {"signer", "signature", "scheme"}}``: an
EIP-191 personal_sign over the report's canonical JSON (keys sorted, no spaces, UTF-8). The
console checks the signature itself and recomputes the numbers through the indexer."""

from __future__ import annotations

import json
from typing import Annotated, Any

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from console._clients import ApiError, IndexerClient
from console._svg import bar_chart
from console._web import CallerDep, IndexerDep, attempt, render

router = APIRouter()

#: The parts of a report that depend only on the chain up to the period's end.
COMPARED = ("classId", "period", "units", "total", "reconciles", "findings")
MAX_UPLOAD = 2_000_000


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _audit_path(class_id: str) -> str:
    return f"/v1/classes/{class_id}/audit"


@router.get("/audit", response_class=HTMLResponse, summary="Supply audit of a class and period")
async def audit(
    request: Request, caller: CallerDep, indexer: IndexerDep, class_id: str = "", period: str = ""
) -> Response:
    report, error = None, None
    if class_id.strip() and period.strip():
        report, error = await attempt(
            indexer.get(_audit_path(class_id.strip()[:40]), period=period.strip()[:40])
        )
    return render(
        request, "audit.html", report=report, error=error, chart=_chart(report),
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
    raise ApiError(404, "TN-CO-4041", "NotFound", "download report.csv or report.json", "fmt")


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


async def check_signed_report(raw: bytes, indexer: IndexerClient) -> dict[str, Any]:
    """``valid``, the recovered ``signer`` and one line per check (name, ok, detail)."""
    checks: list[tuple[str, bool, str]] = []
    result: dict[str, Any] = {"valid": False, "signer": None, "checks": checks}
    if len(raw) > MAX_UPLOAD:
        checks.append(("readable", False, f"larger than {MAX_UPLOAD} bytes"))
        return result
    try:
        document = json.loads(raw)
        body, sig = document["report"], document["signature"]
        claimed = str(sig["signer"])
        recovered = Account.recover_message(
            encode_defunct(primitive=canonical_json(body)),
            signature=bytes.fromhex(str(sig["signature"]).removeprefix("0x")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        checks.append(("readable", False, f"not a signed report: {type(exc).__name__} {exc}"))
        return result
    result["signer"] = recovered
    same = recovered.lower() == claimed.lower()
    checks.append(
        ("signature", same, f"signed by {recovered}" + ("" if same else f", not {claimed}"))
    )
    ok = same and await _recompute(body, indexer, checks)
    result["valid"] = ok
    return result


async def _recompute(
    body: dict[str, Any], indexer: IndexerClient, checks: list[tuple[str, bool, str]]
) -> bool:
    try:
        fresh = await indexer.get(_audit_path(str(body["classId"])), period=body["period"])
    except (ApiError, KeyError) as exc:
        checks.append(("numbers", False, f"cannot recompute: {exc}"))
        return False
    differ = [k for k in COMPARED if canonical_json(body.get(k)) != canonical_json(fresh.get(k))]
    checks.append(
        ("numbers", not differ, "recomputed from the chain: " + (
            "every figure matches" if not differ else "differ in " + ", ".join(differ)))
    )  # fmt: skip
    return not differ


def _chart(report: dict[str, Any] | None) -> str:
    if not report or not isinstance(report.get("total"), dict):
        return ""
    t = report["total"]
    keys = ("created", "convertedIn", "held", "claimed", "lapsed", "conversionLoss", "sent")
    return bar_chart(
        "Reconciliation, all units (grams)",
        [(k, int(t.get(k, 0))) for k in keys],
        colours=("#2f7d4a", "#2f7d4a", "#3b6ea8", "#b5651d", "#8a8a8a", "#7d3b8a", "#3b6ea8"),
    )
