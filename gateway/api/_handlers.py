"""Every domain error becomes an HTTP answer here and nowhere else.

``GatewayError`` carries its row of the code table (gateway/errors.py); request-validation
errors are mapped to the same table by error type; a rate-limited client gets TN-GW-429-01.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Scope

from tracenet.gateway.errors import CODES, BodyError, GatewayError, error_body
from tracenet.kit.ratelimit import Refusal

__all__ = ["install_handlers", "rate_limited"]

_BY_TYPE = {
    "quantity_not_integer": "TN-GW-422-02",
    "quantity_not_positive": "TN-GW-422-03",
    "quantity_too_large": "TN-GW-422-04",
}
_BY_STATUS = {400: "BodyMalformed", 404: "RouteNotFound", 405: "MethodNotAllowed",
              413: "BodyTooLarge", 415: "UnsupportedMediaType"}  # fmt: skip
log = logging.getLogger("gateway.http")


def install_handlers(app: FastAPI) -> None:
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
        row = CODES[_BY_TYPE.get(kind, "TN-GW-422-00")]
        ctx = dict(first.get("ctx") or {})
        if row.code == "TN-GW-422-04":  # the chain's QuantityTooLarge(value, max)
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


def rate_limited(_scope: Scope, refusal: Refusal) -> JSONResponse:
    row = CODES["TN-GW-429-01"]
    body = error_body(row.code, row.error, None, refusal.message, refusal.args)
    return JSONResponse(body, status_code=row.status)


def _plain(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | str | bool | None) else str(v) for k, v in args.items()}
