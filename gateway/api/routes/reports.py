"""``POST /v1/reports/sign``: an auditor's report signed with the auditor's key, held here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tracenet.gateway.api.deps import CallerDep, GatewayDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES
from tracenet.gateway.operations._reports import sign_audit_report

router = APIRouter(prefix="/v1/reports", tags=["reports"])
#: A signature is no write: no 200 replay, no idempotency conflict.
_RESPONSES = {k: v for k, v in WRITE_RESPONSES.items() if k not in (200, 409)}


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: dict[str, Any] = Field(
        description="the report to sign as the indexer gave it (e.g. GET /v1/classes/{id}/audit)"
        "; it must name its block in as_of.block_number"
    )


class Signature(BaseModel):
    signer: str = Field(description="the checksummed address that signed")
    signature: str = Field(description="0x + 65 bytes r || s || v")
    scheme: str


class SignedReport(BaseModel):
    """The report unchanged and its signature: what ``tracenet indexer verify-report`` reads."""

    report: dict[str, Any]
    signature: Signature


@router.post(
    "/sign",
    response_model=SignedReport,
    summary="Sign a report with a key of the caller's party (an active auditor)",
    description="EIP-191 personal_sign over the report's canonical JSON (sorted keys, no spaces, "
    "UTF-8) with a key this gateway holds for the caller's party; nothing goes on chain. The "
    "party must hold the auditor role and be active (403 TN-GW-403-03 AccessRoleMissing). A "
    "write-scope key is needed (403 TN-GW-403-01).",
    responses=_RESPONSES,
)
async def sign(body: ReportIn, gw: GatewayDep, who: CallerDep) -> dict[str, Any]:
    return await sign_audit_report(ctx=gw.context, who=who, report=body.report)
