"""Builds the FastAPI app: lifespan (store, chain, keys, pipeline), limits, error mapping.

Every domain error becomes an HTTP answer HERE and nowhere else: ``GatewayError`` carries its
row of the code table (gateway/errors.py); request-validation errors are mapped to the same
table by error type.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracenet import contracts
from tracenet.gateway._auth import KeyCache
from tracenet.gateway._chain import Chain, RpcChain
from tracenet.gateway._lease import hold_sqlite_store
from tracenet.gateway._pipeline import Dispatcher, Role
from tracenet.gateway._registry import Registry
from tracenet.gateway._service import Gateway
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway._signers import load_signers, unlock_keys
from tracenet.gateway._store import Store, make_engine
from tracenet.gateway._views import Abi, LedgerViews
from tracenet.gateway.api.routes import (
    admin,
    balances,
    batch,
    certification,
    ledger,
    reports,
    requests,
)
from tracenet.gateway.api.routes._common import ErrorBody
from tracenet.gateway.errors import (
    CODES,
    BodyError,
    ConfigurationError,
    GatewayError,
    codes_markdown,
    error_body,
)
from tracenet.kit.ratelimit import RateLimitMiddleware, Refusal, Rule
from tracenet.kit.webdocs import offline_docs
from tracenet.wallet import Signer

__all__ = ["PUBLIC_PATHS", "create_app"]

#: The routes that need no key, limited per client (``public_rate_per_minute``). Not
#: ``/v1/health``: orchestrators and start-up waits poll it many times a second, and it answers
#: from memory (no database, no node), so limiting it would only break them.
PUBLIC_PATHS = r"/docs(/.*)?|/openapi\.json"

_BY_TYPE = {
    "quantity_not_integer": "TN-GW-4222",
    "quantity_not_positive": "TN-GW-4223",
    "quantity_too_large": "TN-GW-4224",
}
_BY_STATUS = {400: "BodyMalformed", 404: "RouteNotFound", 405: "MethodNotAllowed",
              413: "BodyTooLarge", 415: "UnsupportedMediaType"}  # fmt: skip
log = logging.getLogger("gateway.http")


class Health(BaseModel):
    """The gateway answers; ``pipeline_ready``: it signs and follows the chain. ``role``: this
    replica ``signing``, or on ``standby`` (it accepts writes; another replica of the party's
    gateway on the same PostgreSQL store signs them), or ``starting``."""

    ok: bool
    pipeline_ready: bool
    role: Role
    chain_id: int


_NO_TELEMETRY: TelemetryConfig = {
    "tracing": False, "metrics": False, "logs": False, "operation_spans": False,
}  # fmt: skip


def create_app(
    settings: GatewaySettings | None = None,
    *,
    chain: Chain | None = None,
    signers: Sequence[Signer] | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The gateway app. ``chain``, ``signers`` and ``store`` replace what settings describe."""
    s = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One process per SQLite store: a second gateway on the file is refused here.
        release = hold_sqlite_store(s.database_url if store is None else str(store.engine.url))
        try:
            gw = await _start(s, chain, signers, store)
            app.state.gateway = gw
            await gw.dispatcher.start()
            try:
                yield
            finally:
                await gw.dispatcher.stop()
                if chain is None:
                    await gw.chain.aclose()
                if store is None:
                    gw.store.close()
        finally:
            release()

    app = FastAPI(
        title="Tracenet gateway",
        version="1",
        description="A party's door to the Tracenet ledger. Writes answer 202 once stored "
        "durably; follow them at /v1/requests/{id}.\n\n## Error codes\n\n" + codes_markdown(),
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry looks for configured providers on every request
        # (≈5% of a write's CPU); the gateway logs JSON lines instead. On with ``telemetry``.
        telemetry=None if s.telemetry else _NO_TELEMETRY,
        docs_url=None,
        redoc_url=None,
        # `/v1/requests/` is no route (404 TN-GW-4040), not a redirect to the list: a client
        # asking for one request by an empty id must not get an array.
        redirect_slashes=False,
    )
    offline_docs(app)
    for module in (ledger, batch, certification, admin, requests, balances, reports):
        app.include_router(module.router)
    _handlers(app)
    app.add_middleware(_Limits, max_body=s.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware, rules=[Rule.of("public", PUBLIC_PATHS, s.public_limit())],
        refuse=_rate_limited, trusted_proxies=s.trusted_proxies,
    )  # fmt: skip

    @app.get(
        "/v1/health", tags=["meta"], summary="Liveness, and whether the pipeline runs",
        responses={500: {"model": ErrorBody, "description": "TN-GW-5001 InternalError"}},
    )  # fmt: skip
    async def health(request: Request) -> Health:
        gw: Gateway = request.app.state.gateway
        d = gw.dispatcher
        return Health(ok=True, pipeline_ready=d.ready.is_set(), role=d.role, chain_id=gw.chain_id)

    return app


async def _start(
    s: GatewaySettings, chain: Chain | None, signers: Sequence[Signer] | None, store: Store | None
) -> Gateway:
    registry, record = Registry.from_deployment(s.deployment)
    addresses: dict[str, str] = dict(record.get("addresses") or {})
    if not all(k in addresses for k in ("Consortium", "Catalog", "Ledger")):
        raise ConfigurationError(f"{s.deployment}: no ledger addresses")
    # A record written before issue 19 names no Transit: the Ledger created it at its nonce 1.
    addresses.setdefault("Transit", contracts.transit_address(addresses["Ledger"]))
    the_chain = chain or RpcChain(s.rpc_url)
    chain_id = await the_chain.chain_id()
    if chain_id != int(record["chainId"]):
        raise ConfigurationError(f"node is chain {chain_id}, deployment {record['chainId']}")
    views = LedgerViews(the_chain, addresses, ttl=s.view_cache_seconds)
    keys = list(signers) if signers is not None else await asyncio.to_thread(unlock_keys, s)
    pool = await load_signers(views, keys)
    the_store = store or Store(make_engine(s.database_url, synchronous=s.sqlite_synchronous))
    dispatcher = Dispatcher(
        store=the_store, chain=the_chain, pool=pool, views=views, settings=s,
        chain_id=chain_id, addresses=addresses,
    )  # fmt: skip
    abis = {name: Abi(name, addresses[name]) for name in contracts.LEDGER_CONTRACTS}
    return Gateway(
        settings=s, store=the_store, chain=the_chain, views=views, registry=registry, pool=pool,
        dispatcher=dispatcher, keys=KeyCache(the_store), chain_id=chain_id, abis=abis,
    )  # fmt: skip


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        kind = str(first.get("type", ""))
        if kind == "json_invalid":
            return await gateway_error(_, BodyError("the body is not valid JSON"))
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc) or None
        row = CODES[_BY_TYPE.get(kind, "TN-GW-4220")]
        ctx = dict(first.get("ctx") or {})
        if row.code == "TN-GW-4224":  # the chain's QuantityTooLarge(value, max)
            ctx = {"value": ctx.get("value", first.get("input")), "max": ctx.get("max")}
        message = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))
        body = error_body(row.code, row.error, where, message, _plain(ctx))
        return JSONResponse(body, status_code=row.status)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        name = _BY_STATUS.get(exc.status_code, "InternalError")
        return await gateway_error(_, BodyError(str(exc.detail), error=name))

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await gateway_error(request, BodyError("internal error", error="InternalError"))


def _rate_limited(_scope: Scope, refusal: Refusal) -> JSONResponse:
    row = CODES["TN-GW-4291"]
    body = error_body(row.code, row.error, None, refusal.message, refusal.args)
    return JSONResponse(body, status_code=row.status)


def _plain(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | str | bool | None) else str(v) for k, v in args.items()}


class _Limits:
    """Refuses oversized bodies (413) and non-JSON writes (415) before anything parses them."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _refuse(send, "BodyTooLarge", f"bodies are limited to {self.max_body} bytes")
            return
        if (ctype and ctype != "application/json") or (not ctype and length not in ("", "0")):
            await _refuse(send, "UnsupportedMediaType", "send application/json")
            return
        # The whole body is read here, chunked or not, before anything parses it: a body over
        # the limit is 413 however it is sent (FastAPI would turn an error raised while it reads
        # into a 400).
        chunks: list[bytes] = []
        received, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                await _refuse(send, "BodyTooLarge", f"bodies are limited to {self.max_body} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that hands out ``messages``, then waits on ``then`` (a disconnect)."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _refuse(send: Send, error: str, message: str) -> None:
    exc = BodyError(message, error=error)
    payload = json.dumps(exc.to_json()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
