"""A unit's credit balances, read from the ledger in one ``balanceOfUnitBatch`` call.

Asked by token id, or by class × vintage (batch 0 unless given), the gateway reads exactly
those; asked by vintage alone, every class of the Catalog whose period length the label fits
(``2031-Q3``: the quarterly classes; ``index:244``: every class), non-zero balances only.
Asked for nothing, it enumerates what it can: every class of the Catalog (``counts().classes``)
and, per class, the vintages still inside their allocation window (current period back to
current − windowPeriods + 1), batch 0. Two kinds of balance are NOT
found that way, and the answer says so: credits of segregated classes (their batch is the input
id, which no view enumerates: ask by token id, from the input's event or the indexer), and
credits past their window that were not lapsed yet (ask by class and vintage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tracenet.contracts import (
    PERIOD_INDEX_PREFIX,
    PERIOD_MONTHS,
    Model,
    parse_period_ref,
    period_label,
    split_token_id,
    token_id,
)
from tracenet.gateway.errors import AuthError, RequestRejected
from tracenet.gateway.operations._ops import ROLE_AUDITOR
from tracenet.gateway.operations._principal import Principal
from tracenet.gateway.operations._registry import Registry
from tracenet.gateway.pipeline._views import LedgerViews

__all__ = ["Holding", "UnitHoldings", "unit_balances"]

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
    months: dict[int, int] = field(default_factory=dict)  # class: months per period

    def label(self, class_id: int, period: int) -> str | None:
        """The period's label (``2031-Q3``) if the class is known."""
        months = self.months.get(class_id)
        return period_label(months, period) if months in PERIOD_MONTHS else None


async def unit_balances(
    *,
    views: LedgerViews,
    registry: Registry,
    who: Principal,
    unit: str,
    token_ids: Sequence[str] = (),
    classes: Sequence[str] = (),
    vintages: Sequence[str] = (),
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
    asked = [_vintage_forms(v, i) for i, v in enumerate(vintages)]
    explicit = bool(ids) or bool(class_ids and vintages)
    result = UnitHoldings(unit_id, 0, enumerated=not (ids or vintages), holdings=[])
    if vintages and class_ids:
        for c in class_ids:
            months = (await views.class_info(c)).period_months
            ids += [token_id(c, _vintage(months, v, i), batch) for i, v in enumerate(vintages)]
    elif vintages:  # every class whose period length each label fits
        ids += await _vintage_ids(views, asked, batch, result)
    elif not ids:
        ids = await _window_ids(views, class_ids, result)
    ids = list(dict.fromkeys(ids))
    result.block_number = await views.chain.block_number()
    amounts = await _read(views, unit_id, ids, result.block_number)
    result.holdings = [
        Holding(t, a) for t, a in zip(ids, amounts, strict=True) if a or include_zero or explicit
    ]
    for c in {h.credit_class for h in result.holdings} | set(result.windows):
        try:
            result.months[c] = (await views.class_info(c)).period_months
        except RequestRejected:  # a token id of an unknown class, asked for explicitly
            continue
    return result


def _vintage(period_months: int, text: str, i: int) -> int:
    """A vintage by its label (``2031-Q3``; ``2031`` is the year), or by its period index in
    its own syntax ``index:244`` (``contracts.parse_period_ref``)."""
    try:
        return parse_period_ref(period_months, text)
    except ValueError as exc:
        raise RequestRejected(str(exc), field=f"vintage[{i}]", args={"vintage": text}) from None


def _vintage_forms(text: str, i: int) -> dict[int, int]:
    """The period index ``text`` names for each period length it fits (``2031-Q3``: quarters
    only; ``index:244``: every length); 422 when it fits none."""
    fits: dict[int, int] = {}
    for months in PERIOD_MONTHS:
        try:
            fits[months] = parse_period_ref(months, text)
        except ValueError:
            continue
    if not fits:
        forms = ", ".join(repr(period_label(m, (2027 - 1970) * 12 // m)) for m in PERIOD_MONTHS)
        raise RequestRejected(
            f"vintage {text!r} is no period label ({forms}) "
            f"nor a period index ({PERIOD_INDEX_PREFIX}<n>)",
            field=f"vintage[{i}]",
            args={"vintage": text},
        )
    return fits


async def _vintage_ids(
    views: LedgerViews, asked: list[dict[int, int]], batch: int, result: UnitHoldings
) -> list[int]:
    """Token ids of every vintage asked, in every class of the Catalog it fits (segregated
    classes need their batch: only with ``batch`` given)."""
    data = views.catalog.encode("counts")
    (_, _, count, _) = views.catalog.decode(
        "counts", await views.chain.call(views.catalog.address, data)
    )
    ids: list[int] = []
    for c in range(1, int(count) + 1):
        info = await views.class_info(c)
        if info.model == Model.segregated and batch == 0:
            result.segregated.append(c)
            continue
        ids += [
            token_id(c, fits[info.period_months], batch)
            for fits in asked
            if info.period_months in fits
        ]
    return ids


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
        if info.model == Model.segregated:
            result.segregated.append(c)
            continue
        current = await views.current_period(c)
        first = max(0, current - info.window_periods + 1)
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
