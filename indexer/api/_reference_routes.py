"""``GET /v1/shipments/{id}/reference`` and ``/v1/claims/{id}/reference``: the public reference
of a shipment or a claim (issue 25), for its party, its counterparty and auditors — the key
holders who may hand the buyer's link on. Computed from the mirror's copy of the recording
transaction (``verifier._public_ref``), so it is the one the public routes and ``tracenet
verify`` resolve."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import select

from tracenet.indexer.api._api_deps import CallerDep, ConnDep, Id64
from tracenet.indexer.errors import AccessDeniedError, NotFoundError
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables_ops import ClaimRow, EventRow, Shipment
from tracenet.indexer.verifier._public_ref import public_ref

__all__ = ["PublicReference", "add_reference_routes"]


class PublicReference(BaseModel):
    """What the buyer's link names: never the sequential id."""

    kind: str = Field(description="shipment or claim")
    id: int = Field(description="the sequential id (the party's own routes take it)")
    public_ref: str = Field(description="32 hex digits: 128 bits, the public routes' only key")
    verify_path: str = Field(description="the console's public page of it")


def add_reference_routes(app: FastAPI, responses: Any) -> None:
    def reference(conn: Any, caller: Any, kind: str, ident: int) -> PublicReference:
        model, column = (Shipment, "shipment_id") if kind == "shipment" else (ClaimRow, "claim_id")
        t, ev = table(model), table(EventRow)
        row = conn.execute(
            select(t, ev.c.tx_hash)
            .join(
                ev,
                (ev.c.chain_id == t.c.chain_id)
                & (ev.c.block_number == t.c.block_number)
                & (ev.c.log_index == t.c.log_index),
            )
            .where(t.c[column] == ident)
        ).first()
        if row is None:
            raise NotFoundError(f"no {kind} {ident}", field=column, error=f"{kind.title()}Unknown")
        units = {row.from_unit_id, row.to_unit_id} if kind == "shipment" else {row.unit_id}
        if not (caller.auditor or units & caller.units):
            raise AccessDeniedError(
                f"party {caller.party_id} may not read {kind} {ident}",
                field=column,
                error="NotCounterparty",
            )
        ref = public_ref(row.chain_id, kind, ident, row.tx_hash)
        return PublicReference(
            kind=kind, id=ident, public_ref=ref, verify_path=f"/verify/{kind}/{ref}"
        )

    @app.get(
        "/v1/shipments/{shipment_id}/reference",
        summary="The shipment's public reference (its parties and auditors)",
        responses=responses,
    )
    def shipment_reference(conn: ConnDep, caller: CallerDep, shipment_id: Id64) -> PublicReference:
        return reference(conn, caller, "shipment", shipment_id)

    @app.get(
        "/v1/claims/{claim_id}/reference",
        summary="The claim's public reference (its party and auditors)",
        responses=responses,
    )
    def claim_reference(conn: ConnDep, caller: CallerDep, claim_id: Id64) -> PublicReference:
        return reference(conn, caller, "claim", claim_id)
