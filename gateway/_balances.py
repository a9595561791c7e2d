"""A unit's credit balances, read from the ledger in one ``balanceOfUnitBatch`` call.

Asked by token id, or by class × vintage (batch 0 unless given), the gateway reads exactly
those. Asked for nothing, it enumerates what it can: every class of the Catalog
(``counts().classes``) and, per class, the vintages still inside their allocation window
(current period back to current − windowPeriods + 1), batch 0. Two kinds of balance are NOT
found that way, and the answer says so: credits of segregated classes (their batch is the input
id, which no view enumerates: ask by token id, from the input's event or the indexer), and
credits past their window that were not lapsed yet (ask by class and vintage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts import split_token_id, token_id
from gateway._auth import Principal
from gateway._ops import ROLE_AUDITOR
from gateway._registry import Registry
from gateway._views import LedgerViews
from gateway.errors import AuthError, RequestRejected

__all__ = ["Holding", "UnitHoldings", "unit_balances"]

MODEL_SEGREGATED = 1
_CHUNK = 1_000  # pairs per balanceOfUnitBatch call (calldata and gas of one eth_call)
_MAX_ASKED = 1_000  # token ids, classes or vintages in one question


@dataclass(frozen=True)
class Holding:
    token_id: int
    amount: int

    @property
    def credit_class(self) -> int:
        return split_token_id(self.token_id)[0]

    @property
    def vintage(self) -> int:
        return (self.token_id >> 32) & 0xFFFFFFFF

    @property
    def batch(self) -> int:
        return self.token_id & 0xFFFFFFFF


@dataclass
class UnitHoldings:
    unit: int
    block_number: int
    enumerated: bool
    holdings: list[Holding]
    windows: dict[int, tuple[int, int]] = field(default_factory=dict)  # class: (first, current)
    segregated: list[int] = field(default_factory=list)


async def unit_balances(
    *,
    views: LedgerViews,
    registry: Registry,
    who: Principal,
    unit: str,
    token_ids: Sequence[str] = (),
    classes: Sequence[str] = (),
    vintages: Sequence[int] = (),
    batch: int = 0,
    include_zero: bool = False,
) -> UnitHoldings:
    """The balances of ``unit`` (the caller's own, or any unit for an auditor party)."""
    for name, many in (("token_id", token_ids), ("class", classes), ("vintage", vintages)):
        if len(many) > _MAX_ASKED:
            raise RequestRejected(f"at most {_MAX_ASKED} values of {name}", field=name)
    unit_id = registry.resolve("units", unit, "unit")
    view = await views.unit(unit_id)
    if view.party_id != who.party_id:
        roles, _ = await views.party(who.party_id)
        if roles & ROLE_AUDITOR == 0:
            raise AuthError(
                f"{registry.label('units', unit_id)} is another party's", error="UnitNotOwned",
                field="unit", args={"unitId": unit_id, "partyId": who.party_id},
            )  # fmt: skip
    ids = [_token_id(t, i) for i, t in enumerate(token_ids)]
    class_ids = [registry.resolve("classes", c, f"class[{i}]") for i, c in enumerate(classes)]
    for i, c in enumerate(class_ids):
        await views.class_info(c, f"class[{i}]")
    explicit = bool(ids) or bool(vintages)
    result = UnitHoldings(unit_id, 0, enumerated=not explicit, holdings=[])
    if vintages:
        ids += [token_id(c, v, batch) for c in class_ids for v in vintages]
    elif not ids:
        ids = await _window_ids(views, class_ids, result)
    ids = list(dict.fromkeys(ids))
    result.block_number = await views.chain.block_number()
    amounts = await _read(views, unit_id, ids, result.block_number)
    result.holdings = [
        Holding(t, a) for t, a in zip(ids, amounts, strict=True) if a or include_zero or explicit
    ]
    return result


def _token_id(text: str, i: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 29 or int(text) >= 2**96:
        raise RequestRejected(
            f"token id {text!r} is not a decimal token id (below 2^96)",
            error="ClassUnknown",
            field=f"token_id[{i}]",
            args={"tokenId": text},
        )
    return int(text)


async def _window_ids(views: LedgerViews, class_ids: list[int], result: UnitHoldings) -> list[int]:
    if not class_ids:
        data = views.catalog.encode("counts")
        (_, _, count, _) = views.catalog.decode(
            "counts", await views.chain.call(views.catalog.address, data)
        )
        class_ids = list(range(1, int(count) + 1))
    ids: list[int] = []
    for c in class_ids:
        info = await views.class_info(c)
        if int(info[2]) == MODEL_SEGREGATED:
            result.segregated.append(c)
            continue
        current = await views.current_period(c)
        first = max(0, current - int(info[5]) + 1)
        result.windows[c] = (first, current)
        ids += [token_id(c, v) for v in range(first, current + 1)]
    return ids


async def _read(views: LedgerViews, unit_id: int, ids: list[int], block: int) -> list[int]:
    out: list[int] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        data = views.ledger.encode("balanceOfUnitBatch", [unit_id] * len(chunk), chunk)
        raw = await views.chain.call(views.ledger.address, data, block)
        (amounts,) = views.ledger.decode("balanceOfUnitBatch", raw)
        out += [int(a) for a in amounts]
    return out
