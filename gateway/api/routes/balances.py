"""The party's balances, read from the ledger's views (``balanceOfUnit``), never from a cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway._views import LedgerViews
from gateway.api.deps import CallerDep, GatewayDep
from gateway.errors import AuthError

router = APIRouter(prefix="/v1/balances", tags=["balances"])


class Balance(BaseModel):
    unit: int
    token_id: str
    credit_class: int
    vintage: int
    batch: int
    amount: str  # grams, decimal string (may exceed 2**53)


@router.get(
    "/{unit}", response_model=list[Balance], summary="Credits held by one of the party's units"
)
async def unit_balances(
    unit: str,
    gw: GatewayDep,
    who: CallerDep,
    token_id: Annotated[list[str], Query(description="token ids (decimal)")] = [],  # noqa: B006
    credit_class: Annotated[list[str], Query(alias="class")] = [],  # noqa: B006
    vintage: Annotated[list[int], Query(ge=0, lt=2**32)] = [],  # noqa: B006
    batch: Annotated[int, Query(ge=0, lt=2**32)] = 0,
) -> list[Balance]:
    """Balances of the given token ids, or of every class × vintage (batch 0) asked for."""
    unit_id = gw.registry.resolve("units", unit, "unit")
    view = await gw.views.unit(unit_id)
    if view.party_id != who.party_id:
        raise AuthError(f"unit {unit_id} is another party's", error="ForeignUnit", field="unit")
    ids = [int(t) for t in token_id if t.isdigit()]
    for c in credit_class:
        class_id = gw.registry.resolve("classes", c, "class")
        ids += [(class_id << 64) | (v << 32) | batch for v in vintage]
    return [await _balance(gw.views, unit_id, tid) for tid in dict.fromkeys(ids)]


async def _balance(views: LedgerViews, unit_id: int, tid: int) -> Balance:
    data = views.ledger.encode("balanceOfUnit", unit_id, tid)
    (amount,) = views.ledger.decode(
        "balanceOfUnit", await views.chain.call(views.ledger.address, data)
    )
    return Balance(
        unit=unit_id, token_id=str(tid), credit_class=tid >> 64,
        vintage=(tid >> 32) & 0xFFFFFFFF, batch=tid & 0xFFFFFFFF, amount=str(amount),
    )  # fmt: skip
