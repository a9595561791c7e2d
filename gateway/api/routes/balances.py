"""A unit's balances, read from the ledger's views (``balanceOfUnitBatch``), never from a cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from tracenet.gateway.api.deps import CallerDep, GatewayDep
from tracenet.gateway.api.routes._common import READ_RESPONSES
from tracenet.gateway.operations._balances import UnitHoldings, unit_balances
from tracenet.gateway.operations._registry import Registry

router = APIRouter(prefix="/v1/balances", tags=["balances"])
Uint32 = Annotated[int, Field(ge=0, lt=2**32)]

_NOTE_SEGREGATED = (
    "credits of segregated classes {classes} are not enumerable on-chain (their batch is the "
    "input id): ask for them by token_id (from the InputRecorded event or the indexer)"
)
_NOTE_WINDOW = (
    "only vintages inside their allocation window are listed; credits past it that were not "
    "lapsed yet: ask by class and vintage"
)


class Balance(BaseModel):
    token_id: str = Field(description="decimal: class << 64 | vintage << 32 | batch")
    credit_class: int
    class_key: str | None = Field(description="the class's registry key, if it has one")
    vintage: str | None = Field(description="the vintage's period label (2031-Q3)")
    vintage_index: int = Field(description="its period index (ask for it as `index:<n>`)")
    batch: int
    amount_g: str = Field(description="grams, a decimal string (may exceed 2^53)")


class Window(BaseModel):
    credit_class: int
    first_vintage: str | None = Field(description="period label of the oldest vintage held")
    first_vintage_index: int
    current_vintage: str | None = Field(description="period label of the current period")
    current_vintage_index: int


class UnitBalances(BaseModel):
    """Balances of one unit at ``block_number``; ``notes`` say what an enumeration missed."""

    unit: int
    block_number: int
    enumerated: bool
    balances: list[Balance]
    windows: list[Window]
    not_enumerable_classes: list[int]
    notes: list[str]


@router.get(
    "/{unit}",
    response_model=UnitBalances,
    summary="Credits held by one of the party's units",
    description="With `token_id` or `class` + `vintage`: exactly those balances (zeros "
    "included). With `vintage` alone: that vintage in every class of the Catalog whose period "
    "length the label fits (`2031-Q3`: the quarterly classes; `index:244`: all), non-zero "
    "balances only; a vintage no class's label fits is 422 TN-GW-422-00. Without: every class "
    "of the Catalog (or the `class`es given) at every vintage "
    "still inside its allocation window, batch 0, non-zero balances only (`include_zero` to "
    "list all). Segregated classes are NOT enumerable on-chain (the batch is the input id): "
    "ask for them by `token_id`. Credits past their window not lapsed yet: ask by `class` + "
    "`vintage`. One `balanceOfUnitBatch` call at `block_number`. An auditor party may read "
    "any unit; every other party only its own (403 TN-GW-403-02).",
    responses=READ_RESPONSES,
)
async def read_unit_balances(
    unit: Annotated[str, Path(min_length=1, max_length=64, description="registry key or id")],
    gw: GatewayDep,
    who: CallerDep,
    token_id: Annotated[list[str], Query(description="token ids (decimal)")] = [],  # noqa: B006
    credit_class: Annotated[list[str], Query(alias="class")] = [],  # noqa: B006
    vintage: Annotated[
        list[str],
        Query(
            description="period labels of the class (`2031-Q3`, `2031-03`, `2031`: the year "
            "2031); a period index only as `index:244`. Without `class`: that vintage in every "
            "class whose period length the label fits (non-zero balances)"
        ),
    ] = [],  # noqa: B006
    batch: Annotated[int, Query(ge=0, lt=2**32)] = 0,
    include_zero: bool = False,
) -> UnitBalances:
    found = await unit_balances(
        views=gw.views,
        registry=gw.registry,
        who=who,
        unit=unit,
        token_ids=token_id,
        classes=credit_class,
        vintages=vintage,
        batch=batch,
        include_zero=include_zero,
    )
    return _public(found, gw.registry)


def _public(found: UnitHoldings, registry: Registry) -> UnitBalances:
    notes = []
    if found.segregated:
        notes.append(_NOTE_SEGREGATED.format(classes=found.segregated))
    if found.enumerated:
        notes.append(_NOTE_WINDOW)
    return UnitBalances(
        unit=found.unit,
        block_number=found.block_number,
        enumerated=found.enumerated,
        balances=[
            Balance(
                token_id=str(h.token_id),
                credit_class=h.credit_class,
                class_key=registry.name_of("classes", h.credit_class),
                vintage=found.label(h.credit_class, h.vintage),
                vintage_index=h.vintage,
                batch=h.batch,
                amount_g=str(h.amount),
            )
            for h in found.holdings
        ],
        windows=[
            Window(
                credit_class=c,
                first_vintage=found.label(c, a),
                first_vintage_index=a,
                current_vintage=found.label(c, b),
                current_vintage_index=b,
            )
            for c, (a, b) in found.windows.items()
        ],
        not_enumerable_classes=found.segregated,
        notes=notes,
    )
