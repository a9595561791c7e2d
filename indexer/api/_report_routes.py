"""``POST /v1/reports/verify``: is an uploaded signed report the word of an auditor, and are its
figures the chain's?

Three checks, in order, each refusing with its stable code: the signature recovers the named
signer (``SignatureInvalid``); that signer acted for a registered, active auditor party at the
report's block, read from the chain (``SignerNotAuditor``: ``verify_auditor``); the supply
audit recomputed from the mirror up to the report's block gives the same figures
(``ReportFiguresDiffer``, naming the parts that differ), so later events of a period still open
do not void a report. ``verify_signed`` runs the three,
for this route and for ``tracenet indexer verify-report`` alike. Any read key may ask: a buyer, a
regulator or a member verifies an auditor's report without being one. Nothing is written: the
POST only carries the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from tracenet.contracts import LedgerHandle
from tracenet.contracts.errors import DeploymentError
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import CallerDep, ConnDep, Registry, resolve_period
from tracenet.indexer.api._reports import as_of, class_info
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.api._signing import canonical_json, verify_auditor
from tracenet.indexer.errors import ChainReadError, IndexerError, ReportError, SignatureError
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Party

__all__ = ["COMPARED", "ReportVerdict", "add_report_routes", "verify_signed"]

#: The parts of a supply audit fixed by the chain up to the period's end (not the checkpoint).
COMPARED = ("class_id", "period", "units", "total", "reconciles", "findings")
_DOC: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorBody, "description": "TN-IX-400-01 SignatureInvalid, "
          "TN-IX-400-02 SignerNotAuditor, TN-IX-400-03 ReportFiguresDiffer"},
    503: {"model": models.ErrorBody, "description": "TN-IX-503-01 the node did not answer"},
}  # fmt: skip


_BODY = (
    'a signed report: {"report": …, "signature": {"signer", "signature", "scheme"}}, from '
    "tracenet indexer audit --sign or a gateway's POST /v1/reports/sign"
)


class ReportVerdict(BaseModel):
    """A signed report that holds: who signed it, for which auditor party, at which block."""

    valid: bool = Field(description="always true: a refusal is an error answer (400)")
    signer: str = Field(description="the checksummed address that signed")
    party_id: int = Field(description="the auditor party the signer acted for at the block")
    party: str = Field(description="that party's registry key or on-chain name")
    block_number: int = Field(description="the report's block (as_of.block_number)")
    class_id: int
    period: str
    compared: list[str] = Field(description="the parts recomputed from the chain, all equal")


def add_report_routes(
    app: FastAPI, ledger: Callable[[], LedgerHandle], registry: Registry, responses: Any
) -> None:
    names = {i: k for k, i in registry.get("parties", {}).items()}

    def handle() -> LedgerHandle:
        try:
            return ledger()
        except OSError as exc:
            raise ChainReadError(f"cannot read the chain: {exc}") from exc
        except DeploymentError as exc:
            raise IndexerError(str(exc), field="deployment", error="DeploymentMismatch") from exc

    @app.post(
        "/v1/reports/verify",
        summary="Verify a signed report: signature, an active auditor on chain, the figures",
        tags=["verification"],
        responses={**responses, **_DOC},
    )
    def verify_signed_report(
        conn: ConnDep,
        caller: CallerDep,
        document: Annotated[dict[str, Any], Body(description=_BODY)],
    ) -> ReportVerdict:
        return verify_signed(conn, document, handle(), names)


def verify_signed(
    conn: Connection, document: dict[str, Any], handle: LedgerHandle, names: dict[int, str]
) -> ReportVerdict:
    """The ONE verification of a signed report — ``POST /v1/reports/verify`` and ``tracenet
    indexer verify-report`` both run it, so they give the same verdict: the signature, the
    signer an active auditor at the report's block (read from the chain through ``handle``),
    the figures recomputed from the mirror (``conn``) up to that block. Raises
    ``SignatureError`` (``SignatureInvalid``, ``SignerNotAuditor``, ``ReportFiguresDiffer``),
    ``ReportError`` (no class and period to recompute) or ``ChainReadError`` (the node)."""
    try:
        signer, actor = verify_auditor(document, handle)
    except OSError as exc:  # the node, reading the signer's role
        raise ChainReadError(f"cannot read the chain: {exc}") from exc
    report: dict[str, Any] = document["report"]
    differ = _differences(conn, report)
    block = int(report["as_of"]["block_number"])
    if differ:
        mirror = int(as_of(conn)["block_number"])
        behind = (
            f" (the mirror is at block {mirror}, before the report's block {block}: let it "
            "catch up and verify again)"
            if mirror < block
            else ""
        )
        raise SignatureError(
            f"signed by {signer} for party {actor.party_id}, but its figures differ from the "
            f"chain's in: {', '.join(differ)}{behind}",
            field="report", error="ReportFiguresDiffer",
            args={"signer": signer, "party_id": actor.party_id, "differ": differ},
        )  # fmt: skip
    return ReportVerdict(
        valid=True, signer=signer, party_id=actor.party_id,
        party=names.get(actor.party_id) or _party_name(conn, actor.party_id),
        block_number=block, class_id=int(report["class_id"]), period=str(report["period"]),
        compared=list(COMPARED),
    )  # fmt: skip


def _differences(conn: Connection, report: dict[str, Any]) -> list[str]:
    try:
        class_id = int(report["class_id"])
        period = str(report["period"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(
            "the report names no class (class_id) and period to recompute", field="report"
        ) from exc
    months = class_info(conn, class_id).period_months
    # The signed index when the report carries one (every audit does; ``index:<n>`` is its
    # syntax); its label is compared below with the recomputed one.
    signed = report.get("period_index")
    if isinstance(signed, int) and not isinstance(signed, bool):
        index = resolve_period(months, f"index:{signed}", "report.period_index")
    else:
        index = resolve_period(months, period, "report.period")
    block = int(report["as_of"]["block_number"])  # verify_auditor read it already
    fresh = supply_audit(conn, class_id=class_id, period=index, block=block)
    dumped = models.Audit.model_validate(fresh).model_dump(mode="json", by_alias=True)
    return [k for k in COMPARED if canonical_json(report.get(k)) != canonical_json(dumped.get(k))]


def _party_name(conn: Connection, party_id: int) -> str:
    t = table(Party)
    name = conn.execute(select(t.c.name).where(t.c.id == party_id)).scalar()
    return str(name) if name is not None else f"party {party_id}"
