"""What a form offers to pick from: the registry's entities by display name, and the credits the
party's units hold (class, vintage, amount; lapsed vintages apart), read from the services'
APIs when the form is shown and again when it is sent (to turn names into ids).

The indexer's JSON keys are read through ``wire`` only (one place to change when they are
renamed); a listing that cannot be read leaves the field a plain text box, and the gateway
resolves what was typed (a registry key, an id) as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._session import Session
from tracenet.console._web import attempt
from tracenet.contracts import PERIOD_INDEX_PREFIX, period_bounds, period_label

__all__ = ["Choice", "Choices", "Holding", "load", "wire"]

#: The singular of each registry listing, as a person says it.
SINGULAR = {
    "parties": "party", "units": "unit", "classes": "class", "product-groups": "product group",
    "certificates": "certificate", "processes": "process", "schemes": "scheme",
    "boundaries": "boundary",
}  # fmt: skip


def wire(row: dict[str, Any], snake: str) -> Any:
    """``row[snake]`` whether the indexer spells it ``party_id`` or ``partyId``."""
    if snake in row:
        return row[snake]
    head, *rest = snake.split("_")
    return row.get(head + "".join(p.title() for p in rest))


@dataclass(frozen=True)
class Choice:
    """One entity offered by name: ``detail`` says which (``unit 3 · Recycler``)."""

    ident: int
    name: str
    detail: str
    own: bool = False
    period_months: int = 0  # a class's period length


@dataclass(frozen=True)
class Holding:
    """Credits one unit holds of one token, as a person picks them."""

    token_id: str
    unit: int
    unit_name: str
    class_name: str
    vintage: str  # its label, 2027-Q3
    amount_g: int
    lapsed: bool = False
    lapses: str = ""  # ISO date the vintage leaves its window, when known


@dataclass
class Choices:
    """Per registry listing, its entities; the party's holdings; what could not be read."""

    entities: dict[str, list[Choice]] = field(default_factory=dict)
    holdings: list[Holding] | None = None  # None: not read (no read key, or the read failed)
    own_units: list[Choice] = field(default_factory=list)
    unread: ApiError | None = None

    def of(self, kind: str) -> list[Choice] | None:
        return self.entities.get(kind)


def _choice(kind: str, row: dict[str, Any], party_id: int | None) -> Choice | None:
    try:
        ident = int(row["id"])
    except (KeyError, TypeError, ValueError):
        return None
    name = str(wire(row, "number") if kind == "certificates" else row.get("name") or "")
    owner_id = wire(row, "holder_party_id") if kind == "certificates" else wire(row, "party_id")
    if kind == "parties":
        owner_id = ident
    owner = wire(row, "holder_party") if kind == "certificates" else row.get("party")
    detail = f"{SINGULAR.get(kind, kind)} {ident}"
    if owner and kind != "parties":
        detail += f" · {owner}"
    own = party_id is not None and owner_id is not None and int(owner_id) == party_id
    months = int(wire(row, "period_months") or 0) if kind == "classes" else 0
    return Choice(ident, name or detail, detail, own, months)


async def _listing(indexer: IndexerClient, kind: str, party_id: int | None) -> list[Choice]:
    found = await indexer.get(f"/v1/registry/{kind}", limit=1000)
    rows = found.get("rows") if isinstance(found, dict) else None
    picked = [_choice(kind, r, party_id) for r in rows or [] if isinstance(r, dict)]
    if kind == "certificates":
        live = {int(r["id"]) for r in rows or [] if not r.get("revoked")}
        picked = [c for c in picked if c is not None and c.ident in live]
    return sorted((c for c in picked if c is not None), key=lambda c: (not c.own, c.name.lower()))


async def load(
    kinds: set[str], lines: bool, caller: Session, gateway: GatewayClient, indexer: IndexerClient
) -> Choices:
    """The listings ``kinds`` (and the holdings, with ``lines``) a form needs, read together."""
    choices = Choices()
    if not caller.indexer_key:
        return choices
    kinds = set(kinds) | {"units"} | ({"classes"} if lines else set())  # names of both
    reads = [attempt(_listing(indexer, k, caller.party_id)) for k in sorted(kinds)]
    answers = await asyncio.gather(*reads)
    for kind, (found, error) in zip(sorted(kinds), answers, strict=True):
        if error is not None:
            choices.unread = error
        else:
            choices.entities[kind] = found
    choices.own_units = [c for c in choices.entities.get("units", []) if c.own]
    if lines:
        names = {c.ident: c.name for c in choices.entities.get("units", [])}
        classes = {c.ident: (c.period_months, c.name) for c in choices.entities.get("classes", [])}
        held, error = await attempt(holdings(gateway, indexer, names, classes))
        choices.holdings = held
        choices.unread = choices.unread or error
    return choices


async def holdings(
    gateway: GatewayClient,
    indexer: IndexerClient,
    unit_names: dict[int, str],
    classes: dict[int, tuple[int, str]] | None = None,
) -> list[Holding]:
    """Every credit the party's units hold (the indexer's balances), each vintage marked lapsed
    when the chain's allocation window (the gateway's balance view) has left it behind."""
    answer = await indexer.get("/v1/balances")
    rows = answer.get("balances", []) if isinstance(answer, dict) else answer
    rows = [r for r in rows or [] if isinstance(r, dict) and int(r.get("amount_g") or 0) > 0]
    units = sorted({int(wire(r, "unit_id")) for r in rows})
    windows: dict[tuple[int, int], tuple[int, int]] = {}
    for unit in units:
        onchain, _ = await attempt(gateway.get(f"/v1/balances/{unit}"))
        for w in (onchain or {}).get("windows", []):
            key = (unit, int(w["credit_class"]))
            windows[key] = (int(w["first_vintage_index"]), int(w["current_vintage_index"]))
    months: dict[int, tuple[int, str]] = {k: v for k, v in (classes or {}).items() if v[0]}
    out = []
    for r in rows:
        unit, cls = int(wire(r, "unit_id")), int(wire(r, "class_id"))
        vintage = int(r["vintage_index"])
        if cls not in months:
            months[cls] = await _class_of(indexer, unit, cls, vintage)
        period_months, class_name = months[cls]
        label, lapses, lapsed = str(vintage), "", False
        if period_months:
            label = period_label(period_months, vintage)
            window = windows.get((unit, cls))
            if window is not None:
                lapsed = vintage < window[0]
                start, _ = period_bounds(period_months, vintage + window[1] - window[0] + 1)
                lapses = datetime.fromtimestamp(start, UTC).date().isoformat()
        out.append(
            Holding(
                token_id=str(wire(r, "token_id")), unit=unit,
                unit_name=unit_names.get(unit, f"unit {unit}"),
                class_name=str(wire(r, "class_name") or class_name or f"class {cls}"),
                vintage=label, amount_g=int(r["amount_g"]), lapsed=lapsed, lapses=lapses,
            )
        )  # fmt: skip
    return sorted(out, key=lambda h: (h.lapsed, h.unit, h.class_name, h.vintage))


async def _class_of(indexer: IndexerClient, unit: int, cls: int, vintage: int) -> tuple[int, str]:
    """The class's period length and name, from its statement (any period of it)."""
    found, _ = await attempt(
        indexer.get(
            f"/v1/units/{unit}/statement", class_id=cls, period=f"{PERIOD_INDEX_PREFIX}{vintage}"
        )
    )
    if not isinstance(found, dict):
        return 0, ""
    return int(wire(found, "period_months") or 0), str(wire(found, "class_name") or "")
