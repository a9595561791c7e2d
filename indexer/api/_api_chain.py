"""Public routes of the chain-only verifier: a buyer's verdict on a claim or a shipment, and a
shipment's Sustainability Declaration as JSON, read from the chain record (not the mirror), and
a received SD PDF checked against it (``_sd_check_route``).

The console's buyer pages (``/verify/claim/{id}``, the link of the SD's QR code) call these:
the same checks as ``tracenet verify`` and ``tracenet declaration``, without a key, since anyone
with a JSON-RPC endpoint and the deployment record can run them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Path

from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import REFUSED
from tracenet.indexer.api._sd_check_route import add_sd_check_route
from tracenet.indexer.errors import ChainReadError, IndexerError, NotFoundError
from tracenet.indexer.verifier._chainread import ChainRecord, DeploymentMismatch
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._verify import verify
from tracenet.indexer.verifier._verify_cli import render_json

__all__ = ["add_chain_routes"]

Ident = Annotated[int, Path(ge=1, le=2**63 - 1)]


def add_chain_routes(app: FastAPI, source: Callable[[], ChainRecord], responses: Any) -> None:
    """Adds ``/v1/{claims,shipments}/{id}/verification``, ``/v1/shipments/{id}/declaration``
    and ``POST /v1/declarations/check`` (an uploaded SD PDF against the chain)."""

    def record() -> ChainRecord:
        try:
            return source()
        except DeploymentMismatch as exc:
            raise IndexerError(str(exc), field="deployment", error="DeploymentMismatch") from exc
        except OSError as exc:
            raise ChainReadError(f"cannot read the chain: {exc}") from exc

    def verdict(kind: str, ident: int) -> models.Verification:
        # no such claim or shipment: verify's NotFoundError, the 404 the CLI's line names
        return models.Verification.model_validate(render_json(verify(record(), kind, ident)))

    @app.get(
        "/v1/claims/{claim_id}/verification",
        response_model_exclude_none=True,
        summary="The chain-only verifier's verdict on a claim (public: no key)",
        tags=["verification"],
        responses=responses,
    )
    def claim_verification(claim_id: Ident) -> models.Verification:
        return verdict("claim", claim_id)

    @app.get(
        "/v1/shipments/{shipment_id}/verification",
        response_model_exclude_none=True,
        summary="The chain-only verifier's verdict on a shipment (public: no key)",
        tags=["verification"],
        responses=responses,
    )
    def shipment_verification(shipment_id: Ident) -> models.Verification:
        return verdict("shipment", shipment_id)

    @app.get(
        "/v1/shipments/{shipment_id}/declaration",
        summary="The Sustainability Declaration of a shipment as JSON, from the chain (public)",
        tags=["verification"],
        responses={**responses, **REFUSED},
    )
    def shipment_declaration(shipment_id: Ident) -> models.Declaration:
        try:
            return models.Declaration.model_validate(declaration(record(), shipment_id))
        except LookupError as exc:
            raise NotFoundError(str(exc), field="shipment_id", error="ShipmentUnknown") from exc

    add_sd_check_route(app, record, responses)
