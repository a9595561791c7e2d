"""``Annotated`` dependencies of the routes: the gateway, the caller, the store session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from tracenet.gateway.api._auth import Principal, presented_key
from tracenet.gateway.api._service import Gateway
from tracenet.gateway.pipeline._chain import Chain

__all__ = ["CallerDep", "ChainDep", "GatewayDep", "IdempotencyDep", "SessionDep"]


# Trivial dependencies are ``async def``: FastAPI runs a plain ``def`` on a worker thread for
# every request, a thread hop that cost ~20 % of the accept path's throughput.
async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def get_chain(gw: GatewayDep) -> Chain:
    return gw.chain


ChainDep = Annotated[Chain, Depends(get_chain)]


def get_session(gw: GatewayDep) -> Iterator[Session]:
    with Session(gw.store.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_caller(
    gw: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """The API key from ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    return gw.keys.authenticate(presented_key(authorization, x_api_key))


CallerDep = Annotated[Principal, Depends(get_caller)]

IdempotencyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="same key + same body: the same request; same key + other body: 409",
    ),
]
