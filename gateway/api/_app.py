"""The gateway's HTTP app: OpenAPI and its offline docs, the routers, the error mapping, body and
rate limits. ``main.create_app`` gives it the lifespan that starts the rest."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.api._handlers import install_handlers, rate_limited
from tracenet.gateway.api._limits import BodyLimits
from tracenet.gateway.api.routes import (
    admin,
    balances,
    batch,
    certification,
    health,
    ledger,
    reports,
    requests,
)
from tracenet.gateway.errors import codes_markdown
from tracenet.kit.ratelimit import RateLimitMiddleware, Rule
from tracenet.kit.webdocs import offline_docs

__all__ = ["PUBLIC_PATHS", "http_app"]

#: The routes that need no key, limited per client (``public_rate_per_minute``). Not
#: ``/v1/health``: orchestrators and start-up waits poll it many times a second, and it answers
#: from memory (no database, no node), so limiting it would only break them.
PUBLIC_PATHS = r"/docs(/.*)?|/openapi\.json"


_NO_TELEMETRY: TelemetryConfig = {
    "tracing": False, "metrics": False, "logs": False, "operation_spans": False,
}  # fmt: skip


def http_app(
    s: GatewaySettings, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    """The app's routes, handlers and limits; ``lifespan`` starts and stops what they use."""
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
        # `/v1/requests/` is no route (404 TN-GW-404-00), not a redirect to the list: a client
        # asking for one request by an empty id must not get an array.
        redirect_slashes=False,
    )
    offline_docs(app)
    for module in (ledger, batch, certification, admin, requests, balances, reports, health):
        app.include_router(module.router)
    install_handlers(app)
    app.add_middleware(BodyLimits, max_body=s.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware, rules=[Rule.of("public", PUBLIC_PATHS, s.public_limit())],
        refuse=rate_limited, trusted_proxies=s.trusted_proxies,
    )  # fmt: skip

    return app
