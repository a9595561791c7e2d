"""``GET /v1/shipments/{id}/declaration.pdf`` and ``.html``: the SD of a shipment, for the
console to link. The document is drawn from the chain record (``read_chain`` through the
``ChainSource`` the app was given), never from the mirror; the mirror only answers who may
read it: the shipment's two parties and auditors, as for its provenance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from tracenet import contracts
from tracenet.indexer.api._api_deps import REFUSED, CallerDep, ConnDep, json_errors
from tracenet.indexer.errors import AccessDeniedError, NotFoundError
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables_ops import Shipment
from tracenet.indexer.verifier._chainread import ChainRecord, read_chain
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._sd_document import render_html, render_pdf

__all__ = ["ChainSource", "declaration_router", "rpc_source"]

#: Gives the chain record as of now (cached while the head does not move).
ChainSource = Callable[[], ChainRecord]
ShipmentId = Annotated[int, Path(ge=0, le=2**63 - 1)]


def rpc_source(rpc_url: str, deployment: contracts.Deployment) -> ChainSource:
    """The record read over JSON-RPC, read again only when the chain head moved."""
    w3 = contracts.connect(rpc_url)  # QBFT headers: a plain provider fails on a Besu network
    lock = threading.Lock()
    cached: dict[str, Any] = {}

    def source() -> ChainRecord:
        with lock:
            head = w3.eth.block_number
            if cached.get("head") != head:
                cached["record"], cached["head"] = read_chain(w3, deployment), head
            record: ChainRecord = cached["record"]
            return record

    return source


def declaration_router(source: ChainSource, console_url: str, responses: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/shipments", tags=["declarations"])
    responses = {**responses, **REFUSED}

    def document(conn: Any, caller: Any, shipment_id: int) -> dict[str, Any]:
        t = table(Shipment)
        row = conn.execute(select(t).where(t.c.shipment_id == shipment_id)).first()
        if row is None:
            raise NotFoundError(
                f"no shipment {shipment_id}", field="shipment_id", error="ShipmentUnknown"
            )
        if not (caller.auditor or {row.from_unit_id, row.to_unit_id} & caller.units):
            raise AccessDeniedError(
                f"party {caller.party_id} may not read shipment {shipment_id}",
                field="shipment_id",
                error="NotCounterparty",
            )
        try:
            return declaration(source(), shipment_id)
        except LookupError as exc:  # in the mirror, not (yet) in the record read
            raise NotFoundError(str(exc), field="shipment_id", error="ShipmentUnknown") from exc

    pdf_doc: dict[int | str, dict[str, Any]] = {
        200: {"content": {"application/pdf": {}}, "description": "the SD as a PDF"}
    }

    @router.get(
        "/{shipment_id}/declaration.pdf",
        summary="The shipment's Sustainability Declaration as a PDF (from the chain record)",
        response_class=Response,
        responses={**responses, **pdf_doc},
    )
    def declaration_pdf(conn: ConnDep, caller: CallerDep, shipment_id: ShipmentId) -> Response:
        d = document(conn, caller, shipment_id)
        headers = {"Content-Disposition": f'inline; filename="{d["declaration"]}.pdf"'}
        return Response(render_pdf(d, console_url), media_type="application/pdf", headers=headers)

    @router.get(
        "/{shipment_id}/declaration.html",
        summary="The shipment's Sustainability Declaration as a printable page",
        description="The page (`text/html`); an error is the API's JSON error body.",
        response_class=HTMLResponse,
        responses=json_errors(responses),
    )
    def declaration_html(conn: ConnDep, caller: CallerDep, shipment_id: ShipmentId) -> HTMLResponse:
        return HTMLResponse(render_html(document(conn, caller, shipment_id), console_url))

    return router
