"""R8, the rolling average percentage, recomputed from the chain's record alone (issue 10).

The ledger states the share it applied to each shipment and claim of a rolling-average class in
``RollingShareApplied`` (share, period, the window's sustainable and total grams). The verifier
does not take that on trust: it replays the unit's inputs of the class's product group — certified
inputs, conversion outputs, shipments received (physical quantity; their lines of the class are
sustainable) and conventional inputs — over the class's window, from the events before the
operation and their blocks' timestamps, exactly as ``contracts/src/README.md`` defines them, and
checks that the event, the share and the credits carried all agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracenet.contracts import Attribution, RollingOperation, period_at, split_token_id
from tracenet.contracts import records as R
from tracenet.contracts.records import RollingShareApplied
from tracenet.indexer.lineage._lineage import LedgerEvent
from tracenet.indexer.mirror._decode import EventRef
from tracenet.indexer.verifier._chainread import ChainRecord

__all__ = ["RollingShare", "applied_to", "rolling_shares"]

FULL_SHARE_BPS = 10_000


@dataclass(frozen=True)
class RollingShare:
    """One rolling-average class on one shipment or claim: what the ledger said and recomputed."""

    class_id: int
    stated: RollingShareApplied | None  # None: the ledger emitted no share for this class
    sustainable: int  # recomputed window sums, grams
    total: int
    share_bps: int
    expected_g: int  # floor(share × quantity / 10 000)
    carried_g: int  # the operation's lines of the class

    @property
    def ok(self) -> bool:
        s = self.stated
        return (
            s is not None
            and (s.window_sustainable, s.window_total, s.share_bps)
            == (self.sustainable, self.total, self.share_bps)
            and s.amount == self.expected_g == self.carried_g
        )

    def detail(self, name: str) -> str:
        if self.stated is None:
            return f"{name}: no RollingShareApplied event (share {self.share_bps} bps expected)"
        s = self.stated
        text = (
            f"{name}: {self.share_bps / 100:.2f} % = {self.sustainable} g sustainable of "
            f"{self.total} g input in the window; {self.carried_g} g carried for "
            f"{s.quantity} g, {self.expected_g} g expected"
        )
        if (s.window_sustainable, s.window_total, s.share_bps) != (
            self.sustainable, self.total, self.share_bps
        ):  # fmt: skip
            text += (
                f"; the ledger stated {s.share_bps} bps = {s.window_sustainable} g of "
                f"{s.window_total} g"
            )
        return text


def applied_to(record: ChainRecord, event: R.Shipped | R.Claimed) -> list[RollingShareApplied]:
    """The ``RollingShareApplied`` events of a shipment or claim (its record)."""
    if isinstance(event, R.Shipped):
        op, op_id = RollingOperation.shipment, event.shipment_id
    else:
        op, op_id = RollingOperation.claim, event.claim_id
    return [a for a in record.rolling if a.operation == op and a.operation_id == op_id]


def rolling_shares(record: ChainRecord, shipped_or_claimed: LedgerEvent) -> list[RollingShare]:
    """Every rolling-average class a shipment or claim had to carry, recomputed."""
    ref, event = shipped_or_claimed
    if not isinstance(event, R.Shipped | R.Claimed):
        return []
    stated = {a.class_id: a for a in applied_to(record, event)}
    if isinstance(event, R.Shipped):
        unit, quantity = event.from_unit_id, event.quantity
        classes = {
            c for c, info in record.classes.items()
            if info.attribution == Attribution.rolling_average
            and info.product_group_id == event.product_group_id
            and _before(record.class_registered_at.get(c), ref)
        } | set(stated)  # fmt: skip
    else:
        unit = event.unit_id
        classes = set(stated) | {
            c for c in (split_token_id(t)[0] for t in event.token_ids)
            if getattr(record.classes.get(c), "attribution", 0) == Attribution.rolling_average
        }  # fmt: skip
    out = []
    for class_id in sorted(classes):
        a = stated.get(class_id)
        if isinstance(event, R.Claimed):
            quantity = a.quantity if a is not None else 0
        sustainable, total = window(record, unit, class_id, ref)
        share = sustainable * FULL_SHARE_BPS // total if total else 0
        carried = sum(
            n for t, n in zip(event.token_ids, event.amounts, strict=True)
            if split_token_id(t)[0] == class_id
        )  # fmt: skip
        expected = quantity * share // FULL_SHARE_BPS
        out.append(RollingShare(class_id, a, sustainable, total, share, expected, carried))
    return out


def window(record: ChainRecord, unit_id: int, class_id: int, at: EventRef) -> tuple[int, int]:
    """(sustainable, total) grams of input of ``unit_id`` for ``class_id`` over the class's
    window as it stood just before the event at ``at``."""
    info = record.classes.get(class_id)
    registered = record.class_registered_at.get(class_id)
    if info is None or registered is None:
        return 0, 0
    group, months = info.product_group_id, info.period_months
    current = period_at(months, at.timestamp)
    first = max(0, current - info.window_periods + 1)

    def counts(ref: EventRef) -> bool:
        return (
            _before(registered, ref)
            and _before(ref, at)
            and first <= period_at(months, ref.timestamp) <= current
        )

    def group_of(token: int) -> int:
        return getattr(record.classes.get(split_token_id(token)[0]), "product_group_id", 0)

    sustainable = total = 0
    for ref, e in record.events:
        if not counts(ref):
            continue
        if (
            isinstance(e, R.InputRecorded)
            and e.unit_id == unit_id
            and group_of(e.token_id) == group
        ):
            total += e.amount
            sustainable += e.amount if split_token_id(e.token_id)[0] == class_id else 0
        elif isinstance(e, R.Converted) and e.unit_id == unit_id:
            if group_of(e.output_token_id) == group:
                total += e.output_amount
                own = split_token_id(e.output_token_id)[0] == class_id
                sustainable += e.output_amount if own else 0
        elif isinstance(e, R.Shipped) and e.to_unit_id == unit_id and e.product_group_id == group:
            total += e.quantity
            lines = zip(e.token_ids, e.amounts, strict=True)
            sustainable += sum(n for t, n in lines if split_token_id(t)[0] == class_id)
    for ref, unit, group_id, quantity in record.conventional:
        if unit == unit_id and group_id == group and counts(ref):
            total += quantity
    return sustainable, total


def _before(a: EventRef | None, b: EventRef) -> bool:
    return a is not None and (a.block_number, a.log_index) < (b.block_number, b.log_index)
