"""Public routes of the chain-only verifier: a buyer's verdict on a claim or a shipment, and a
shipment's Sustainability Declaration as JSON, read from the chain record (not the mirror), and
a received SD PDF checked against it (``_sd_check_route``).

The console's buyer pages (``/verify/claim/{ref}``, the link of the SD's QR code) call these.
They take a public reference only (``verifier._public_ref``: 128 bits no one can count up to);
a sequential id, a malformed or an unknown reference are the same 404 ``ReferenceUnknown``
(issue 25). Without a key, or with the key of a party that is not entitled, the answer is the
public view (``verifier._redact``: the verdict, the rules checked, the chain of custody by role,
country, scheme and certificate status, names only as their parties disclose them); with the key
of the shipment's or claim's party, its counterparty or an auditor it is the full view, the
checks that ``tracenet verify`` prints. The verdict is the same in both."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Path

from tracenet.contracts import records as R
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import REFUSED, OptionalCallerDep
from tracenet.indexer.api._keys import Caller
from tracenet.indexer.api._sd_check_route import add_sd_check_route
from tracenet.indexer.errors import ChainReadError, IndexerError, NotFoundError
from tracenet.indexer.verifier._chainread import ChainRecord, DeploymentMismatch
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._public_ref import resolve
from tracenet.indexer.verifier._redact import Disclosure, public_verdict
from tracenet.indexer.verifier._redact_declaration import public_declaration
from tracenet.indexer.verifier._verify import verify
from tracenet.indexer.verifier._verify_cli import render_json

__all__ = ["add_chain_routes", "entitled"]

PublicRef = Annotated[
    str,
    Path(
        description="the public reference (32 hex digits) of the SD's link; never the id",
        max_length=64,
    ),
]


def entitled(record: ChainRecord, caller: Caller | None, kind: str, ident: int) -> bool:
    """The caller reads the full view: an auditor, or the party of a unit at either end of the
    shipment (or of the claim's unit)."""
    if caller is None:
        return False
    if caller.auditor:
        return True
    for _, e in record.events:
        if kind == "shipment" and isinstance(e, R.Shipped) and e.shipment_id == ident:
            return bool({e.from_unit_id, e.to_unit_id} & caller.units)
        if kind == "claim" and isinstance(e, R.Claimed) and e.claim_id == ident:
            return e.unit_id in caller.units
    return False


def add_chain_routes(
    app: FastAPI,
    source: Callable[[], ChainRecord],
    responses: Any,
    *,
    disclosure: Mapping[str, Sequence[str]] | None = None,
    registry: Mapping[str, Mapping[str, int]] | None = None,
) -> None:
    """Adds ``/v1/{claims,shipments}/{ref}/verification``, ``/v1/shipments/{ref}/declaration``
    and ``POST /v1/declarations/check`` (an uploaded SD PDF against the chain); ``disclosure``
    is what each party discloses on public views (``Disclosure.parse``)."""

    def record() -> ChainRecord:
        try:
            return source()
        except DeploymentMismatch as exc:
            raise IndexerError(str(exc), field="deployment", error="DeploymentMismatch") from exc
        except OSError as exc:
            raise ChainReadError(f"cannot read the chain: {exc}") from exc

    def verdict(kind: str, ref: str, caller: Caller | None) -> models.VerificationView:
        chain = record()
        _, ident = resolve(chain, ref, kind)
        found = verify(chain, kind, ident)
        if entitled(chain, caller, kind, ident):
            full = {"view": "full", "public_ref": ref, **render_json(found)}
            return models.VerificationView.model_validate(full)
        shown = Disclosure.parse(disclosure or {}, chain, registry)
        return models.VerificationView.model_validate(public_verdict(found, chain, shown, ref))

    @app.get(
        "/v1/claims/{ref}/verification",
        summary="The chain-only verifier's verdict on a claim, by its public reference (public)",
        tags=["verification"],
        responses=responses,
        response_model_exclude_none=True,
    )
    def claim_verification(ref: PublicRef, caller: OptionalCallerDep) -> models.VerificationView:
        return verdict("claim", ref, caller)

    @app.get(
        "/v1/shipments/{ref}/verification",
        summary="The chain-only verifier's verdict on a shipment, by its public reference (public)",
        tags=["verification"],
        responses=responses,
        response_model_exclude_none=True,
    )
    def shipment_verification(ref: PublicRef, caller: OptionalCallerDep) -> models.VerificationView:
        return verdict("shipment", ref, caller)

    @app.get(
        "/v1/shipments/{ref}/declaration",
        summary="The Sustainability Declaration of a shipment as JSON, by its public reference "
        "(public view; the full one with a party's or an auditor's key)",
        tags=["verification"],
        responses={**responses, **REFUSED},
    )
    def shipment_declaration(ref: PublicRef, caller: OptionalCallerDep) -> models.DeclarationView:
        chain = record()
        _, ident = resolve(chain, ref, "shipment")
        try:
            d = declaration(chain, ident)
        except LookupError as exc:
            raise NotFoundError(str(exc), field="ref", error="ReferenceUnknown") from exc
        if entitled(chain, caller, "shipment", ident):
            return models.DeclarationView.model_validate({"view": "full", **d})
        shown = Disclosure.parse(disclosure or {}, chain, registry)
        return models.DeclarationView.model_validate(public_declaration(d, chain, shown))

    add_sd_check_route(app, record, responses)
