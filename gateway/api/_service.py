"""Service functions behind the routes: accept a write (durably) and read requests back.

``submit`` is the one path of every write: validation (the operation's planner), encoding,
durable insert (group commit, which also resolves the Idempotency-Key in its transaction),
then the pipeline is woken. Nothing is stored unless every check passed; a rejected write
whose key names an earlier request is answered as a replay of that request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tracenet.gateway._jsonable import jsonable
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.api._auth import KeyCache, Principal
from tracenet.gateway.errors import GatewayError, IdempotencyConflict, NotFound, RequestRejected
from tracenet.gateway.operations._ops import Context, Plan
from tracenet.gateway.operations._registry import UNKNOWN, Registry, learn_names
from tracenet.gateway.pipeline._chain import Chain
from tracenet.gateway.pipeline._dispatcher import Dispatcher
from tracenet.gateway.pipeline._models import Request
from tracenet.gateway.pipeline._signers import SignerPool
from tracenet.gateway.pipeline._store import NewRequest, Store
from tracenet.gateway.pipeline._views import Abi, LedgerViews

__all__ = ["Gateway", "get_request", "submit"]

log = logging.getLogger("gateway.requests")


@dataclass
class Gateway:
    """Everything a request handler needs; built once per app in ``main.lifespan``."""

    settings: GatewaySettings
    store: Store
    chain: Chain
    views: LedgerViews
    registry: Registry
    pool: SignerPool
    dispatcher: Dispatcher
    keys: KeyCache
    chain_id: int
    abis: dict[str, Abi]
    names_from: int = 0  # the next block whose registration events teach display names
    _names_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def context(self) -> Context:
        return Context(self.views, self.registry, self.pool, self.settings)

    async def learn_names(self) -> bool:
        """Display names registered since the last read (``Registry.learn``); whether any
        block was read. Serialised: concurrent misses read once."""
        async with self._names_lock:
            addresses = {name: abi.address for name, abi in self.abis.items()}
            before = self.names_from
            try:
                self.names_from = await learn_names(
                    self.chain, self.registry, addresses, self.names_from
                )
            except Exception as exc:  # names are a convenience: keys and ids still work
                log.warning("display names not read: %s", exc)
                return False
            return self.names_from > before


#: Refusals of an unknown entity: the name may be one registered since the names were read.
_UNKNOWN = {error for error, _ in UNKNOWN.values()}


async def _plan_learning(gw: Gateway, plan: Callable[[], Awaitable[Plan]]) -> Plan:
    """The plan; once more after reading the names registered since, when it named an entity
    the gateway did not know (a party registered a minute ago, by its display name)."""
    try:
        return await plan()
    except RequestRejected as exc:
        if exc.error not in _UNKNOWN or not await gw.learn_names():
            raise
    return await plan()


def body_hash(operation: str, payload: Any) -> str:
    canonical = json.dumps(
        {"op": operation, "body": payload}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def submit(
    *,
    gw: Gateway,
    who: Principal,
    operation: str,
    body: BaseModel | dict[str, Any],
    plan: Callable[[], Awaitable[Plan]],
    idempotency_key: str | None,
) -> tuple[int, NewRequest | Request]:
    """Validate and durably accept one write: (202, new request) or (200, the earlier one)."""
    who.require_write()
    if who.party_id not in gw.pool.parties():
        raise RequestRejected(
            f"this gateway holds no signing key of {gw.registry.label('parties', who.party_id)}",
            error="NoSigner", args={"partyId": who.party_id},
        )  # fmt: skip
    payload = jsonable(body.model_dump(by_alias=True) if isinstance(body, BaseModel) else body)
    digest = body_hash(operation, payload)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 200:
        raise RequestRejected("Idempotency-Key: 1 to 200 characters", field="Idempotency-Key")
    try:
        planned = await _plan_learning(gw, plan)
    except GatewayError:
        # A replay answers with the earlier request even if its checks would fail now (the
        # credits it moved are gone). Looked up only here: on the happy path the group commit
        # finds an earlier row of the key in the same transaction that would insert the new one.
        if idempotency_key is not None:
            earlier = await asyncio.to_thread(
                gw.store.by_idempotency, who.party_id, idempotency_key
            )
            if earlier is not None:
                return _replay(earlier, digest)
        raise
    abi = gw.abis[planned.contract]
    row = NewRequest(
        id=_new_id(),
        party_id=who.party_id,
        unit_id=planned.unit_id,
        operation=operation,
        idempotency_key=idempotency_key,
        api_key_id=who.key_id,
        body_hash=digest,
        payload=payload,
        to_address=abi.address,
        call_data=abi.encode(planned.fn, *planned.args),
    )
    result = await gw.store.insert(row)
    if result.kind == "existing":
        return _replay(result.request, digest)
    gw.dispatcher.wake()
    log.info("accepted %s", operation, extra={"request_id": row.id, "party": who.party_id})
    return 202, result.request


_random = bytearray()


def _new_id() -> str:
    """A random (version 4) UUID; the randomness is read from the OS 4 KiB at a time."""
    global _random
    if not _random:
        _random = bytearray(os.urandom(4096))
    chunk = bytes(_random[-16:])
    del _random[-16:]
    return str(uuid.UUID(bytes=chunk, version=4))


def _replay(earlier: NewRequest | Request, digest: str) -> tuple[int, NewRequest | Request]:
    if earlier.body_hash != digest:
        raise IdempotencyConflict(
            "this Idempotency-Key was used for another request body",
            field="Idempotency-Key",
            args={"requestId": earlier.id},
        )
    return 200, earlier


def get_request(*, gw: Gateway, who: Principal, request_id: str) -> Request:
    row = gw.store.get_request(request_id, who.party_id)
    if row is None:
        raise NotFound(f"no request {request_id}", field="id")
    return row
