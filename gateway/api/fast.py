"""The single write routes' common case, answered without FastAPI's per-request machinery.

Under load nearly every write is well-formed, authenticated and passes its checks. Through
FastAPI such a write spends more of the event loop in the framework (routing, dependency
resolution, the exception and exit-stack middlewares, the request object) than in the work
itself: parsing, validation, the rule checks, encoding and the durable insert. ``FastWrites``
answers those writes from the ASGI scope with the very same pieces: the route's body model
(validated as FastAPI validates it, ``model_validate`` of the parsed JSON), the same key check
(``KeyCache.authenticate`` of ``Authorization: Bearer`` or ``X-API-Key``), the same planner
and the same service function (``submit``), and the answer ``accept`` gives (202, or 200 for
a replay).

Anything else goes to the FastAPI app untouched, body and all: no or a bad key, a body the
model refuses, a rule check that fails, an Idempotency-Key conflict, a duplicated header.
``submit`` inserts nothing when it raises, so the app then runs the write from the start and
every error answer still comes from the one place that maps errors (``gateway/main.py``); the
routes stay what OpenAPI documents (``gateway/api/routes/ledger.py``).
"""

from __future__ import annotations

import json

from starlette.types import Scope, Send

from tracenet.gateway._auth import presented_key
from tracenet.gateway._service import Gateway, submit
from tracenet.gateway.api.routes._common import accepted
from tracenet.gateway.api.routes.batch import KINDS

__all__ = ["FastWrites"]

_HEADERS = (b"authorization", b"x-api-key", b"idempotency-key")


class FastWrites:
    """``await fast(scope, body, send)``: True when it answered the write, False when the app
    must (nothing was stored then)."""

    paths = frozenset(f"/v1/{kind}" for kind in KINDS)

    async def __call__(self, scope: Scope, body: bytes, send: Send) -> bool:
        try:
            answer = await self._write(scope, body)
        except Exception:  # every refusal is the app's to answer, with its error body
            return False
        if answer is None:
            return False
        status, payload, location = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"location", location.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return True

    async def _write(self, scope: Scope, body: bytes) -> tuple[int, bytes, str] | None:
        gw: Gateway | None = getattr(scope["app"].state, "gateway", None)
        if gw is None or not body or scope["method"] != "POST":
            return None
        found: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _HEADERS:
                if name in found:
                    return None  # which one FastAPI takes is its business
                found[name] = value.decode("latin-1")
        who = gw.keys.authenticate(
            presented_key(found.get(b"authorization"), found.get(b"x-api-key"))
        )
        operation, model, planner = KINDS[scope["path"][len("/v1/") :]]
        parsed = model.model_validate(json.loads(body))
        status, row = await submit(
            gw=gw, who=who, operation=operation, body=parsed,
            plan=lambda: planner(gw.context, who, parsed),
            idempotency_key=found.get(b"idempotency-key"),
        )  # fmt: skip
        answer = accepted(row)
        payload = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        return status, payload, answer["status_url"]
