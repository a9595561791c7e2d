"""Writes a party makes at one of its units: one route per row of the catalog
(gateway/operations/_catalog.py), ``POST /v1/{kind}`` with the row's body, summary and published
role."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tracenet.gateway.api.deps import CallerDep, GatewayDep, IdempotencyDep
from tracenet.gateway.api.routes._common import WRITE_RESPONSES, Accepted, accept
from tracenet.gateway.operations._catalog import WRITES, Write

router = APIRouter(prefix="/v1", tags=["ledger"], responses=WRITE_RESPONSES)


def _endpoint(write: Write) -> Callable[..., Awaitable[JSONResponse]]:
    """The route of ``write``: validate its body, then ``accept`` (store durably, 202)."""

    async def endpoint(
        body: BaseModel, gw: GatewayDep, who: CallerDep, key: IdempotencyDep = None
    ) -> JSONResponse:
        plan = lambda: write.plan(gw.context, who, body)  # noqa: E731
        return await accept(gw, who, write.operation, body, key, plan)

    # FastAPI reads the body model from the signature: the row's, not ``BaseModel``.
    params = [
        inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=write.body),
        inspect.Parameter("gw", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=GatewayDep),
        inspect.Parameter("who", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=CallerDep),
        inspect.Parameter(
            "key", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=IdempotencyDep, default=None
        ),
    ]
    endpoint.__signature__ = inspect.Signature(params, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = write.operation
    return endpoint


for _write in WRITES:
    router.add_api_route(
        _write.path.removeprefix("/v1"),
        _endpoint(_write),
        methods=["POST"],
        status_code=202,
        response_model=Accepted,
        summary=_write.summary,
        openapi_extra=_write.openapi_extra,
    )
