"""The read API (FastAPI, ``/v1``, read-only): balances, statements, provenance, traceability,
footprints, reduction checks and supply audits. Every route needs a read key (``X-API-Key``);
commercially sensitive data is visible to its party, its counterparties for their own
shipments, and auditors (parties with the AUDITOR role on chain)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Connection, Engine, select

from contracts import period_at
from indexer._export import audit_csv
from indexer._keys import Caller, resolve_key
from indexer._periods import day_start
from indexer._provenance import ProvenanceCache
from indexer._registry import table
from indexer._reports import as_of, balances, class_info, statement, traceability, unit_party
from indexer._reports_class import footprint, reduction_check, supply_audit
from indexer._svg import lineage_svg
from indexer._tables_ops import ClaimRow, Shipment
from indexer.errors import AccessDeniedError, IndexerError, NotFoundError

__all__ = ["create_app"]


def _conn(request: Request) -> Iterator[Connection]:
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(_conn)]


def _caller(conn: ConnDep, x_api_key: Annotated[str | None, Header()] = None) -> Caller:
    return resolve_key(conn, x_api_key)


CallerDep = Annotated[Caller, Depends(_caller)]


def create_app(engine: Engine) -> FastAPI:
    """The read API over one mirror."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The lineage book is built once from the whole archive (long on a large mirror):
        # start it at server start in the background instead of on the first request.
        def warm() -> None:
            with engine.connect() as conn:
                app.state.provenance.warm(conn)

        threading.Thread(target=warm, name="provenance-warm", daemon=True).start()
        yield

    app = FastAPI(title="Tracenet indexer", version="1", description=__doc__, lifespan=lifespan)
    app.state.engine = engine
    app.state.provenance = ProvenanceCache()

    @app.exception_handler(IndexerError)
    async def _error(_: Request, exc: IndexerError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.status)

    @app.get("/v1/status", summary="The mirror's checkpoint")
    def status(conn: ConnDep, caller: CallerDep) -> dict[str, Any]:
        return {**as_of(conn), "partyId": caller.party_id, "auditor": caller.auditor}

    @app.get(
        "/v1/balances",
        summary="Credits per unit, class and vintage (own units, or all for auditors)",
    )
    def get_balances(
        conn: ConnDep, caller: CallerDep, unit_id: int | None = None, class_id: int | None = None
    ) -> dict[str, Any]:
        if unit_id is not None:
            caller.require_unit(unit_id)
        units = (
            [unit_id] if unit_id is not None else (None if caller.auditor else sorted(caller.units))
        )
        return {"asOf": as_of(conn), "balances": balances(conn, units=units, class_id=class_id)}

    @app.get(
        "/v1/units/{unit_id}/statement",
        summary="Mass-balance statement of a unit for a class and period",
    )
    def get_statement(
        conn: ConnDep,
        caller: CallerDep,
        unit_id: int,
        class_id: int,
        period: int | None = None,
        day: date | None = None,
    ) -> dict[str, Any]:
        caller.require_unit(unit_id)
        if period is None:
            if day is None:
                raise NotFoundError(
                    "give a period index or a day inside the period", field="period"
                )
            period = period_at(class_info(conn, class_id).period_months, day_start(day))
        return {
            "asOf": as_of(conn),
            **statement(conn, unit_id=unit_id, class_id=class_id, period=period),
        }

    @app.get(
        "/v1/units/{unit_id}/traceability",
        summary="R10: per customer, shipped, sustainable, conventional, classes, share",
    )
    def get_traceability(
        conn: ConnDep,
        caller: CallerDep,
        unit_id: int,
        from_day: Annotated[date, Query(alias="from")],
        to_day: Annotated[date, Query(alias="to")],
    ) -> dict[str, Any]:
        start, end = day_start(from_day), day_start(to_day)
        if caller.auditor or unit_id in caller.units:
            return {
                "asOf": as_of(conn),
                **traceability(conn, unit_id=unit_id, start=start, end=end),
            }
        unit_party(conn, unit_id)
        s = table(Shipment)
        mine = conn.execute(
            select(s.c.shipment_id)
            .where(s.c.from_unit_id == unit_id, s.c.to_unit_id.in_(sorted(caller.units)))
            .limit(1)
        ).first()
        if mine is None:
            raise AccessDeniedError(
                f"party {caller.party_id} is no customer of unit {unit_id}", field="unit_id"
            )
        return {
            "asOf": as_of(conn),
            **traceability(
                conn, unit_id=unit_id, start=start, end=end, customer_party=caller.party_id
            ),
        }

    def _provenance(conn: Connection, caller: Caller, kind: str, ident: int, fmt: str) -> Any:
        model = Shipment if kind == "shipment" else ClaimRow
        t = table(model)
        column = t.c.shipment_id if kind == "shipment" else t.c.claim_id
        row = conn.execute(select(t).where(column == ident)).first()
        if row is None:
            raise NotFoundError(f"no {kind} {ident}", field=f"{kind}_id")
        units = {row.from_unit_id, row.to_unit_id} if kind == "shipment" else {row.unit_id}
        if not (caller.auditor or units & caller.units):
            raise AccessDeniedError(
                f"party {caller.party_id} may not read {kind} {ident}", field=f"{kind}_id"
            )
        prov = {"asOf": as_of(conn), **app.state.provenance.provenance(conn, kind, ident)}
        if fmt == "svg":
            return Response(lineage_svg(prov), media_type="image/svg+xml")
        return prov

    @app.get(
        "/v1/shipments/{shipment_id}/provenance",
        summary="Provenance graph of a shipment (JSON or SVG)",
    )
    def shipment_provenance(
        conn: ConnDep, caller: CallerDep, shipment_id: int, format: str = "json"
    ) -> Any:
        return _provenance(conn, caller, "shipment", shipment_id, format)

    @app.get(
        "/v1/claims/{claim_id}/provenance", summary="Provenance graph of a claim (JSON or SVG)"
    )
    def claim_provenance(
        conn: ConnDep, caller: CallerDep, claim_id: int, format: str = "json"
    ) -> Any:
        return _provenance(conn, caller, "claim", claim_id, format)

    @app.get(
        "/v1/product-groups/{product_group_id}/footprint",
        summary="R11: lower-, higher-carbon and average footprints",
    )
    def get_footprint(
        conn: ConnDep,
        caller: CallerDep,
        product_group_id: int,
        from_day: Annotated[date, Query(alias="from")],
        to_day: Annotated[date, Query(alias="to")],
        unit_id: int | None = None,
        process_g_per_kg: int = 0,
    ) -> dict[str, Any]:
        if unit_id is not None:
            caller.require_unit(unit_id)
        return {
            "asOf": as_of(conn),
            **footprint(
                conn,
                product_group_id=product_group_id,
                start=day_start(from_day),
                end=day_start(to_day),
                unit_id=unit_id,
                process_g_per_kg=process_g_per_kg,
            ),
        }

    @app.get(
        "/v1/classes/{class_id}/reduction-check",
        summary="R12: is a reduction claim from period A to B valid?",
    )
    def get_reduction(
        conn: ConnDep,
        caller: CallerDep,
        class_id: int,
        period_a: int,
        period_b: int,
        unit_id: int | None = None,
    ) -> dict[str, Any]:
        if unit_id is not None:
            caller.require_unit(unit_id)
        return {
            "asOf": as_of(conn),
            **reduction_check(
                conn, class_id=class_id, period_a=period_a, period_b=period_b, unit_id=unit_id
            ),
        }

    @app.get(
        "/v1/classes/{class_id}/audit",
        summary="R13: supply audit of a class and period (auditors; JSON or CSV)",
    )
    def get_audit(
        conn: ConnDep, caller: CallerDep, class_id: int, period: int, format: str = "json"
    ) -> Any:
        caller.require_auditor()
        report = supply_audit(conn, class_id=class_id, period=period)
        if format == "csv":
            return PlainTextResponse(audit_csv(report), media_type="text/csv")
        return report

    return app
