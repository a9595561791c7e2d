"""The read API (FastAPI, ``/v1``): balances, statements, provenance, traceability,
footprints, reduction checks and supply audits; and two checks that only carry a document and
change nothing (``POST /v1/reports/verify``, ``POST /v1/declarations/check``). Every route
needs a read key (``Authorization: Bearer <key>``, or ``X-API-Key``; the buyer's verify routes
and the declaration check are public); commercially sensitive data is visible to
its party, its counterparties for their own shipments, and auditors (the AUDITOR role on chain).
Units, classes and product groups are named by registry key, on-chain name or id; periods by
label (``2031-Q1``; ``2031`` is the year) or index (``index:244``); dates are ISO-8601. While
the follower is stopped (a reorg below its window), every answer carries
``X-Tracenet-Mirror: stopped; code=…; error=…; block=…``, ``/v1/status`` says why, and the
routes answering the chain's present state (balances, the shipment and registry listings, the
supply audit) answer 503 ``TN-IX-503-05``. Every error is ``{code, error, field, message, args}``
with a stable code of indexer/ERRORS.md. The public routes are rate-limited per client
(429 ``RateLimited`` with Retry-After; ``TRACENET_INDEXER_PUBLIC_RATE_PER_MINUTE`` and
``…_DOCUMENT_RATE_PER_MINUTE``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracenet.contracts import LedgerHandle
from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_chain import add_chain_routes
from tracenet.indexer.api._api_deps import (
    ERROR,
    LIMITED,
    RESPONSES,
    STOPPED,
    CallerDep,
    ConnDep,
    HeadDep,
    Id64,
    PeriodRef,
    QRef,
    Ref,
    Registry,
    day_range,
    json_errors,
    period_of_day,
    resolve_period,
    resolve_ref,
    visible,
)
from tracenet.indexer.api._keys import Caller
from tracenet.indexer.api._listing_routes import listing_routes
from tracenet.indexer.api._reference_routes import add_reference_routes
from tracenet.indexer.api._report_routes import add_report_routes
from tracenet.indexer.api._reports import (
    as_of,
    balances,
    class_info,
    mirror_stop,
    statement,
    traceability,
)
from tracenet.indexer.api._routes_class import class_routes
from tracenet.indexer.errors import (
    CODES,
    AccessDeniedError,
    IndexerError,
    NotFoundError,
    ReportError,
)
from tracenet.indexer.lineage._provenance import ProvenanceCache
from tracenet.indexer.lineage._svg import lineage_svg
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables_ops import ClaimRow, Shipment
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._pdf_pool import PdfPool
from tracenet.kit.ratelimit import Refusal, limit_routes
from tracenet.kit.webdocs import offline_docs

__all__ = ["PUBLIC_PATHS", "create_app"]

#: The routes anyone may call, without a key (rate-limited per client): (rule, methods, path).
PUBLIC_PATHS = [
    ("document", ("POST",), r"/v1/declarations/check"),
    ("public", ("GET", "HEAD"), r"/v1/(claims|shipments)/[^/]+/verification"),
    ("public", ("GET", "HEAD"), r"/v1/shipments/[^/]+/declaration"),
    ("public", ("GET", "HEAD"), r"/docs(/.*)?|/openapi\.json"),
]


def _body(code: str, message: str, field: str | None, args: dict[str, Any]) -> dict[str, Any]:
    row = CODES[code]
    return {"code": code, "error": row.error, "field": field, "message": message, "args": args}


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(IndexerError)
    async def _error(_: Request, exc: IndexerError) -> JSONResponse:
        retry = {"Retry-After": "1"} if exc.retryable and exc.status == 503 else None
        return JSONResponse(exc.to_json(), status_code=exc.status, headers=retry)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header")]
        field = loc[-1] if loc else None
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        body = _body("TN-IX-422-00", message, field, {"type": str(first.get("type", ""))})
        return JSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code != 405:
            return JSONResponse(_body("TN-IX-404-01", str(exc.detail), None, {}), status_code=404)
        allow = (exc.headers or {}).get("Allow", "")
        allowed = [m.strip() for m in allow.split(",") if m.strip()]
        message = (
            f"{request.method} {request.url.path}: this path answers "
            f"{' or '.join(allowed) or 'another method'} only"
        )
        args = {"method": request.method, "allowed": allowed}
        body = _body("TN-IX-405-01", message, None, args)
        return JSONResponse(body, status_code=405, headers={"Allow": allow} if allow else None)


#: The header every answer carries while the follower is stopped (issue 26).
MIRROR_HEADER = "X-Tracenet-Mirror"


def _stop_header(engine: Engine) -> str | None:
    """``stopped; code=TN-IX-500-03; error=ReorgTooDeep; block=1234; at=…`` or None."""
    with engine.connect() as conn:
        try:
            stop = mirror_stop(conn)
        except SQLAlchemyError:  # no mirror yet (the route answers why)
            return None
    if stop is None:
        return None
    parts = [f"{k}={stop[k]}" for k in ("code", "error", "block", "at") if stop[k] is not None]
    return "; ".join(["stopped", *parts])


class _MirrorHeader:
    """Pure ASGI: every answer, errors and documents included, carries ``X-Tracenet-Mirror``
    while the follower's stop is recorded on the cursor (read once per request, off the
    event loop)."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = await anyio.to_thread.run_sync(_stop_header, self.engine)
        if value is None:
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[MIRROR_HEADER] = value
            await send(message)

        await self.app(scope, receive, sending)


def _rate_limits(app: FastAPI, s: IndexerSettings) -> None:
    def refuse(_scope: Any, refusal: Refusal) -> JSONResponse:
        body = _body("TN-IX-429-01", refusal.message, None, refusal.args)
        return JSONResponse(body, status_code=429)

    limits = {"public": s.public_limit(), "document": s.document_limit()}
    limit_routes(app, PUBLIC_PATHS, limits, refuse, s.trusted_proxies)


def create_app(
    engine: Engine,
    registry: Registry | None = None,
    *,
    chain: Callable[[], ChainRecord] | None = None,
    ledger: Callable[[], LedgerHandle] | None = None,
    console_url: str = "http://127.0.0.1:8800",
    settings: IndexerSettings | None = None,
) -> FastAPI:
    """The read API over one mirror; ``registry`` (the deployment record's) names entities.
    With ``chain`` (the chain record, e.g. ``_sd_routes.rpc_source``) it also serves each
    shipment's Sustainability Declaration, linking ``console_url``'s verify page, and the
    chain-only verifier's public verdicts (``/v1/claims/{id}/verification``…). With ``ledger``
    (the bound contracts) it verifies uploaded signed reports (``POST /v1/reports/verify``).
    ``settings`` (default: ``TRACENET_INDEXER_*``) give the public routes' rate limits and the
    budget of reading an uploaded PDF."""
    s = settings or IndexerSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The lineage book is built once from the whole archive (long on a large mirror):
        # start it at server start in the background instead of on the first request.
        app.state.provenance.start(engine)
        try:
            yield
        finally:
            app.state.documents.close()
        await asyncio.to_thread(app.state.provenance.stop)

    app = FastAPI(
        title="Tracenet indexer",
        version="1",
        description=__doc__,
        lifespan=lifespan,
        responses=json_errors(
            {
                404: RESPONSES[404],
                405: {**ERROR, "description": "TN-IX-405-01 the path answers another method"},
            }
        ),
        docs_url=None,
        redoc_url=None,
        # `/v1/shipments/` is no route (404), not a redirect to another route's answer.
        redirect_slashes=False,
    )
    offline_docs(app)
    app.add_middleware(_MirrorHeader, engine=engine)
    app.state.engine = engine
    app.state.provenance = ProvenanceCache()
    app.state.documents = PdfPool(
        s.pdf_limits(), workers=s.document_workers, queue=s.document_queue
    )
    _install_handlers(app)
    _rate_limits(app, s)
    _routes(app, registry or {})
    if chain is not None:
        from tracenet.indexer.api._sd_routes import declaration_router

        app.include_router(declaration_router(chain, console_url, RESPONSES))
        add_chain_routes(
            app,
            chain,
            {**RESPONSES, **LIMITED},
            disclosure=s.disclosure,
            registry=registry or {},
        )
    if ledger is not None:
        add_report_routes(app, ledger, registry or {}, RESPONSES)
    return app


def _routes(app: FastAPI, reg: Registry) -> None:
    def ref(conn: Connection, kind: str, value: str | None, field: str) -> int | None:
        return None if value is None else resolve_ref(conn, reg, kind, value, field)

    @app.get(
        "/v1/status",
        summary="The mirror's checkpoint, and why the follower stopped if it did",
        responses=RESPONSES,
    )
    def status(conn: ConnDep, caller: CallerDep) -> models.Status:
        return models.Status.model_validate(
            {
                **as_of(conn),
                "party_id": caller.party_id,
                "auditor": caller.auditor,
                "stopped": mirror_stop(conn),
            }
        )

    @app.get(
        "/v1/balances",
        summary="Credits per unit, class and vintage (own units, or all for auditors)",
        responses={**RESPONSES, **STOPPED},
    )
    def get_balances(
        conn: ConnDep,
        caller: CallerDep,
        _: HeadDep,
        unit_id: Annotated[str | None, Query(max_length=200)] = None,
        class_id: Annotated[str | None, Query(max_length=200)] = None,
    ) -> models.Balances:
        unit = ref(conn, "units", unit_id, "unit_id")
        klass = ref(conn, "classes", class_id, "class_id")
        visible(caller, unit)
        units = [unit] if unit is not None else (None if caller.auditor else sorted(caller.units))
        rows = balances(conn, units=units, class_id=klass)
        return models.Balances.model_validate({"as_of": as_of(conn), "balances": rows})

    @app.get(
        "/v1/units/{unit_id}/statement",
        summary="Mass-balance statement of a unit for a class and period (label or a day in it)",
        responses=RESPONSES,
    )
    def get_statement(
        conn: ConnDep,
        caller: CallerDep,
        unit_id: Ref,
        class_id: QRef,
        period: PeriodRef | None = None,
        day: date | None = None,
    ) -> models.Statement:
        unit = resolve_ref(conn, reg, "units", unit_id, "unit_id")
        caller.require_unit(unit)
        klass = resolve_ref(conn, reg, "classes", class_id, "class_id")
        months = class_info(conn, klass).period_months
        if period is not None:
            index = resolve_period(months, period)
        elif day is not None:
            index = period_of_day(months, day)
        else:
            raise ReportError(
                "give a period label (period=2031-Q1) or a day inside the period (day=…)",
                field="period",
                error="PeriodMissing",
            )
        report = statement(conn, unit_id=unit, class_id=klass, period=index)
        return models.Statement.model_validate({"as_of": as_of(conn), **report})

    @app.get(
        "/v1/units/{unit_id}/traceability",
        summary="R10: per customer, shipped, sustainable, conventional, classes, share",
        responses=RESPONSES,
    )
    def get_traceability(
        conn: ConnDep,
        caller: CallerDep,
        unit_id: Ref,
        from_day: Annotated[date, Query(alias="from", description="ISO-8601 date, inclusive")],
        to_day: Annotated[date, Query(alias="to", description="ISO-8601 date, exclusive")],
    ) -> models.Traceability:
        unit = resolve_ref(conn, reg, "units", unit_id, "unit_id")
        start, end = day_range(from_day, to_day)
        customer: int | None = None
        if not (caller.auditor or unit in caller.units):
            s = table(Shipment)
            mine = conn.execute(
                select(s.c.shipment_id)
                .where(s.c.from_unit_id == unit, s.c.to_unit_id.in_(sorted(caller.units)))
                .limit(1)
            ).first()
            if mine is None:
                raise AccessDeniedError(
                    f"party {caller.party_id} is no customer of unit {unit}",
                    field="unit_id",
                    error="NotCounterparty",
                )
            customer = caller.party_id
        report = traceability(conn, unit_id=unit, start=start, end=end, customer_party=customer)
        return models.Traceability.model_validate({"as_of": as_of(conn), **report})

    def _provenance(conn: Connection, caller: Caller, kind: str, ident: int, fmt: str) -> Any:
        model = Shipment if kind == "shipment" else ClaimRow
        t = table(model)
        column = t.c.shipment_id if kind == "shipment" else t.c.claim_id
        row = conn.execute(select(t).where(column == ident)).first()
        if row is None:
            raise NotFoundError(
                f"no {kind} {ident}", field=f"{kind}_id", error=f"{kind.title()}Unknown"
            )
        units = {row.from_unit_id, row.to_unit_id} if kind == "shipment" else {row.unit_id}
        if not (caller.auditor or units & caller.units):
            raise AccessDeniedError(
                f"party {caller.party_id} may not read {kind} {ident}",
                field=f"{kind}_id",
                error="NotCounterparty",
            )
        prov = {"as_of": as_of(conn), **app.state.provenance.provenance(conn, kind, ident)}
        if fmt == "svg":
            return Response(lineage_svg(prov), media_type="image/svg+xml")
        return models.Provenance.model_validate(prov)

    svg: dict[int | str, dict[str, Any]] = {
        200: {"content": {"image/svg+xml": {}}, "description": "JSON, or SVG"},
        503: {
            **ERROR,
            "description": "TN-IX-503-04 LineageWarming: the lineage book is being built after a "
            "start and has not reached this target yet; retry (Retry-After)",
        },
    }

    @app.get(
        "/v1/shipments/{shipment_id}/provenance",
        summary="Provenance graph of a shipment (JSON or SVG)",
        responses={**RESPONSES, **svg},
        response_model=models.Provenance,
        # a node carries the fields of its kind only (see models.LineageNode)
        response_model_exclude_none=True,
    )
    def shipment_provenance(
        conn: ConnDep,
        caller: CallerDep,
        shipment_id: Id64,
        format: Literal["json", "svg"] = "json",
    ) -> Any:
        return _provenance(conn, caller, "shipment", shipment_id, format)

    @app.get(
        "/v1/claims/{claim_id}/provenance",
        summary="Provenance graph of a claim (JSON or SVG)",
        responses={**RESPONSES, **svg},
        response_model=models.Provenance,
        # a node carries the fields of its kind only (see models.LineageNode)
        response_model_exclude_none=True,
    )
    def claim_provenance(
        conn: ConnDep, caller: CallerDep, claim_id: Id64, format: Literal["json", "svg"] = "json"
    ) -> Any:
        return _provenance(conn, caller, "claim", claim_id, format)

    class_routes(app, reg, ref)
    listing_routes(app)
    add_reference_routes(app, RESPONSES)
