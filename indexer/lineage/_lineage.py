"""Lineage of a shipment or a claim back to the certified inputs it draws on — a pure function.

Input: the ledger's decoded events in chain order — ``Event`` (place on the chain + the
``contracts.records`` record), the indexer's one event shape; ``_STEPS`` says how each kind
moves credits. No I/O.

Allocation method — proportional (pro-rata), the same everywhere:

* Credits are fungible within a pool = (unit, token id). A pool carries a composition: integer
  grams by *source lot* (the input, received shipment line, inventory or certificate transfer
  line, or conversion output that put them there). Inflows merge into it.
* Every outflow (shipment, transfer, conversion input, claim, lapse) takes the pool's current
  composition pro rata: source ``s`` gives ``v_s * amount / total``. Rounding: largest remainder
  (Hamilton), ties to the earliest source, applied when the outflow is traced (below), so each
  lot's composition sums exactly to its amount and each pool's composition always equals its
  balance on chain. Sources that round to nothing drop out, which keeps lineages sparse.
* A conversion's output lot is composed of its input lots (in input credits). Backwards from
  the target, each lot passes what reaches the target on to its sources in proportion — again
  by largest remainder, integers throughout — converting through a conversion's yield (the
  input grams it stands for, rounded half up).
* Segregated credits carry their batch in the token id, so their pool holds one input only and
  their lineage is exact.
* A conventional delivery (a shipment with no credit lines, R10) is a shipment all the same:
  its lineage is the shipment alone, 0 g, no edges, no origins.
* An outflow larger than its pool (impossible on a consistent chain, possible in a tampered event
  list) takes the shortfall from an *unexplained* source, reported as ``Lineage.unexplained``.

So ``sum(o.grams for o in origins) + unexplained`` is exactly the target's credits, the edges
into a node add up to what it draws, and contributions that round to nothing end the walk.

Representation: a pool's content is one *version* lot (kind ``pool``, never a node of a lineage)
whose sources are its inflows and whose amount is their sum. An outflow takes grams of the
current version — O(1), whatever the pool holds — and the pro-rata split of those grams over
the version's sources happens in the backward walk, by largest remainder, passing through
versions to the real lots. An inflow after the version was drawn from starts a new version whose
sources are the old one (its remaining grams) and the inflow. Outflows are thus apportioned
when traced rather than one by one as they happen: the integer grams may differ from an eager
split by rounding (a few grams a lot), never in totals. ``pool`` recovers the composition by
source lot, splitting what has been drawn from each version over its sources.
Cost: one forward pass, O(events); a backward walk over the target's ancestors (and the versions
between them) only. A pool holds every lot it ever received (thousands), and a trace passes a few
grams through it: the walk splits them in O(grams log grams) over the sources ranked by size
once per lot (``_apportion_sparse``, the same integers as the dense split), and remembers where a
few grams passed down a drawn version go (``_Lot.memo``: such a version changes no more), so
traces through the same versions cost a lookup.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracenet.contracts import EventRecord
from tracenet.contracts import records as R
from tracenet.indexer.mirror._decode import Event, EventRef

__all__ = [
    "LINEAGE_EVENTS",
    "Edge",
    "LedgerEvent",
    "Line",
    "Lineage",
    "LineageBook",
    "Node",
    "Origin",
    "lines",
    "node_key",
    "trace_claim",
    "trace_shipment",
]

#: One credit line: (token id, grams).
Line = tuple[int, int]

#: A ledger event the lineage reads: its place on the chain and its ``contracts.records`` record.
LedgerEvent = Event[EventRecord]


def lines(record: EventRecord) -> tuple[Line, ...]:
    """The credit lines an event moves out of a unit: a conversion's inputs, the lines of a
    shipment, transfer, trade or claim (``(token id, grams)``); none for other events."""
    if isinstance(record, R.Converted):
        return tuple(zip(record.input_token_ids, record.input_amounts, strict=True))
    ids: tuple[int, ...] = getattr(record, "token_ids", ())
    return tuple(zip(ids, getattr(record, "amounts", ()), strict=True))


def node_key(event: LedgerEvent) -> str | None:
    """The key of the lineage node an event makes (``"shipment:3"``), None if it makes none."""
    r, ref = event.record, event.ref
    if isinstance(r, R.InputRecorded):
        return f"input:{r.input_id}"
    if isinstance(r, R.Shipped):
        return f"shipment:{r.shipment_id}"
    if isinstance(r, R.Converted):
        return f"conversion:{r.conversion_id}"
    if isinstance(r, R.Claimed):
        return f"claim:{r.claim_id}"
    if isinstance(r, R.InventoryTransferred):
        return f"transfer:{ref.block_number}:{ref.log_index}"
    if isinstance(r, R.CertificatesTransferred):
        return f"trade:{ref.block_number}:{ref.log_index}"
    return None


@dataclass(frozen=True, slots=True)
class Node:
    """An event on the lineage: ``kind`` is input, shipment, transfer, trade, conversion, claim
    or unexplained; ``grams`` are its own credits that reach the target (rounded half up)."""

    key: str
    kind: str
    event: LedgerEvent | None  # None for the unexplained source
    grams: int


@dataclass(frozen=True, slots=True)
class Edge:
    """``grams`` of ``token_id`` (the source's credits) flowed from ``source`` to ``target``."""

    source: str
    target: str
    token_id: int
    grams: int


@dataclass(frozen=True, slots=True)
class Origin:
    """A certified input the target draws on: ``grams`` of the target's credits come from it,
    which used ``input_grams`` of the credits the input created (they differ by the yields)."""

    event: Event[R.InputRecorded]
    grams: int
    input_grams: int

    @property
    def input(self) -> R.InputRecorded:
        return self.event.record

    @property
    def ref(self) -> EventRef:
        return self.event.ref


@dataclass(frozen=True, slots=True)
class Lineage:
    target: Node
    nodes: tuple[Node, ...]  # chain order, the target last
    edges: tuple[Edge, ...]
    origins: tuple[Origin, ...]  # by input id
    unexplained: int  # target grams backed by no recorded inflow (0 on a consistent chain)

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)

    def of_kind(self, kind: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind == kind)


# ---- the forward pass -------------------------------------------------------------------------

_LotKey = tuple[str, int]  # (node key, token id)
_UNEXPLAINED = "unexplained"


@dataclass(slots=True)
class _Ranked:
    """A lot's sources ready for ``_apportion_sparse``: grams, their sum, and the indexes of
    the sources by grams, largest first (ties to the earliest)."""

    grams: list[int]
    total: int
    by_size: list[int]


@dataclass(slots=True)
class _Lot:
    node: str
    amount: int
    sources: list[tuple[_LotKey, int]]  # source lot -> grams (in the source's credits)
    order: tuple[int, int]
    virtual: bool = False  # a pool version, passed through by the walk
    ranked: _Ranked | None = None  # built by the first trace through it; reset on a change
    #: (grams, target grams) passed through this version → the real lots they reach; a
    #: version a trace reaches has been drawn from, so it changes no more
    memo: dict[tuple[int, int], tuple[tuple[_LotKey, int, int], ...]] | None = None

    def rank(self) -> _Ranked:
        if self.ranked is None:
            grams = [g for _, g in self.sources]
            by_size = sorted(range(len(grams)), key=lambda i: (-grams[i], i))
            self.ranked = _Ranked(grams, sum(grams), by_size)
        return self.ranked


@dataclass(slots=True)
class _Pool:
    version: _LotKey | None = None  # the version lot holding the pool's content
    held: int = 0  # grams of the version not yet drawn
    depth: int = 0  # versions chained since the last compaction


#: Splits of at most this many grams (own + target's) through a pool version are remembered.
_MEMO_GRAMS = 32

#: A pool's version chain is compacted into real lots after this many versions, which bounds
#: what a trace walks through (amortised O(lots in the pool / _MAX_DEPTH) per inflow).
_MAX_DEPTH = 64


@dataclass
class LineageBook:
    """Feed it every ledger event in chain order (``apply``), then ask for any lineage.

    Pools and lots are kept for the whole history, so one pass serves every shipment and claim.
    """

    _pools: dict[tuple[int, int], _Pool] = field(default_factory=dict)
    _lots: dict[_LotKey, _Lot] = field(default_factory=dict)
    _events: dict[str, LedgerEvent] = field(default_factory=dict)
    _node_lots: dict[str, list[_LotKey]] = field(default_factory=dict)
    _seq: int = 0
    #: Issue 19: each shipment that awaited acceptance, and how it left transit (if it did).
    transits: dict[int, tuple[Event[R.TransitOpened], Event[R.TransitClosed] | None]] = field(
        default_factory=dict
    )

    def apply_all(self, events: Iterable[LedgerEvent]) -> LineageBook:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: LedgerEvent) -> None:
        step = _STEPS.get(type(event.record))
        if step is not None:
            step(self, event)

    def pool(self, unit_id: int, token_id: int) -> dict[str, int]:
        """The current composition of a pool: grams by source lot ``"<node key>#<token id>"``.

        Walks the pool's versions back: what remains of a version is its sources less what was
        drawn from it, split over them by largest remainder.
        """
        pool = self._pools.get((unit_id, token_id))
        composition = self._composition(pool) if pool else {}
        return {f"{k}#{t}": v for (k, t), v in composition.items()}

    # -- internals --------------------------------------------------------------------------

    def _composition(self, pool: _Pool) -> dict[_LotKey, int]:
        composition: dict[_LotKey, int] = {}
        stack = [(pool.version, pool.held)] if pool.version and pool.held else []
        while stack:
            key, held = stack.pop()
            lot = self._lots[key]
            grams = [g for _, g in lot.sources]
            taken = _apportion_int(grams, lot.amount - held, lot.amount)
            for (src, g), t in zip(lot.sources, taken, strict=True):
                if g - t and self._lots[src].virtual:
                    stack.append((src, g - t))
                elif g - t:
                    composition[src] = composition.get(src, 0) + g - t
        return composition

    def has(self, key: str) -> bool:
        """Whether the book holds the event of ``key`` (``"claim:7"``, ``"shipment:3"``)."""
        return key in self._node_lots

    def shipment(self, shipment_id: int) -> Lineage:
        return self._lineage(f"shipment:{shipment_id}")

    def claim(self, claim_id: int) -> Lineage:
        return self._lineage(f"claim:{claim_id}")

    def _add(
        self,
        key: str,
        event: LedgerEvent,
        tid: int,
        amount: int,
        sources: Sequence[tuple[_LotKey, int]],
        order: tuple[int, int],
    ) -> None:
        self._events[key] = event
        lot = self._lots.get((key, tid))
        if lot is None:
            self._lots[(key, tid)] = _Lot(key, amount, _merge(sources), order)
            self._node_lots.setdefault(key, []).append((key, tid))
        else:  # the same token on two lines of one event
            lot.amount += amount
            lot.sources = _merge((*lot.sources, *sources))
            lot.ranked = lot.memo = None

    def _inflow(self, unit: int, tid: int, lot: _LotKey, amount: int) -> None:
        pool = self._pools.setdefault((unit, tid), _Pool())
        current = self._lots[pool.version] if pool.version else None
        if current is not None and pool.held == current.amount:  # not drawn from: extend it
            current.sources.append((lot, amount))
            current.amount += amount
            current.ranked = current.memo = None
        else:  # a new version: what remains of the old one, and the inflow
            self._seq += 1
            key: _LotKey = (f"pool:{unit}:{self._seq}", tid)
            if pool.depth >= _MAX_DEPTH:  # compact: the old versions' composition by real lot
                sources = list(self._composition(pool).items())
                pool.depth = 0
            else:
                sources = [(pool.version, pool.held)] if pool.version and pool.held else []
            pool.depth += 1
            sources.append((lot, amount))
            order = self._lots[lot].order
            self._lots[key] = _Lot(key[0], pool.held + amount, sources, order, virtual=True)
            pool.version = key
        pool.held += amount

    def _outflow(self, unit: int, tid: int, amount: int) -> list[tuple[_LotKey, int]]:
        pool = self._pools.setdefault((unit, tid), _Pool())
        taken = min(amount, pool.held)
        drawn = [(pool.version, taken)] if pool.version and taken else []
        pool.held -= taken
        if amount > taken:
            self._seq += 1
            gap: _LotKey = (f"{_UNEXPLAINED}:{unit}:{self._seq}", tid)
            self._lots[gap] = _Lot(gap[0], amount - taken, [], (-1, self._seq))
            drawn.append((gap, amount - taken))
        return drawn

    def _lineage(self, key: str) -> Lineage:
        targets = self._node_lots.get(key)
        if targets is None:
            raise LookupError(f"no {key.replace(':', ' ')} in the events")
        if not targets:  # a conventional delivery: no credits, so nothing upstream
            target = Node(key, _kind(key), self._events[key], 0)
            return Lineage(target, (target,), (), (), 0)
        return _walk(self._lots, self._events, key, targets)


def _input(book: LineageBook, e: Event[R.InputRecorded]) -> None:
    r, key = e.record, f"input:{e.record.input_id}"
    book._add(key, e, r.token_id, r.amount, (), e.ref.order)
    book._inflow(r.unit_id, r.token_id, (key, r.token_id), r.amount)


def _move(
    book: LineageBook,
    e: Event[R.Shipped | R.InventoryTransferred | R.CertificatesTransferred],
) -> None:
    r, key = e.record, str(node_key(e))
    if isinstance(r, R.Shipped) and not r.token_ids:  # a conventional delivery: a shipment
        book._events[key] = e  # all the same, with nothing upstream
        book._node_lots.setdefault(key, [])
    to_unit = r.to_unit_id
    if isinstance(r, R.Shipped) and r.shipment_id in book.transits:
        to_unit = -r.shipment_id  # in transit (issue 19): a pool of the shipment's own
    for tid, amount in zip(r.token_ids, r.amounts, strict=True):
        taken = book._outflow(r.from_unit_id, tid, amount)
        book._add(key, e, tid, amount, taken, e.ref.order)
        book._inflow(to_unit, tid, (key, tid), amount)


def _convert(book: LineageBook, e: Event[R.Converted]) -> None:
    r, key = e.record, f"conversion:{e.record.conversion_id}"
    taken: list[tuple[_LotKey, int]] = []
    for tid, amount in zip(r.input_token_ids, r.input_amounts, strict=True):
        taken.extend(book._outflow(r.unit_id, tid, amount))
    out = r.output_token_id
    book._add(key, e, out, r.output_amount, tuple(taken), e.ref.order)
    book._inflow(r.unit_id, out, (key, out), r.output_amount)


def _claim(book: LineageBook, e: Event[R.Claimed]) -> None:
    r, key = e.record, f"claim:{e.record.claim_id}"
    for tid, amount in zip(r.token_ids, r.amounts, strict=True):
        book._add(key, e, tid, amount, book._outflow(r.unit_id, tid, amount), e.ref.order)


def _lapse(book: LineageBook, e: Event[R.Lapsed]) -> None:
    book._outflow(e.record.unit_id, e.record.token_id, e.record.amount)


def _transit_opened(book: LineageBook, e: Event[R.TransitOpened]) -> None:
    """Issue 19: the shipment awaits acceptance; its ``Shipped`` (next) fills its transit pool."""
    book.transits[e.record.shipment_id] = (e, None)


def _transit_closed(book: LineageBook, e: Event[R.TransitClosed]) -> None:
    """The credits leave the shipment's transit pool for the recipient (a receipt) or go back
    to the sender, keeping their lots."""
    r = e.record
    opened = book.transits[r.shipment_id][0]
    book.transits[r.shipment_id] = (opened, e)
    for tid, amount in zip(r.token_ids, r.amounts, strict=True):
        for lot, grams in book._outflow(-r.shipment_id, tid, amount):
            book._inflow(r.unit_id, tid, lot, grams)


def _nothing(book: LineageBook, e: LedgerEvent) -> None:
    """A period close moves nothing itself: its lapses arrive as ``Lapsed`` events."""


#: How each ledger event reaches the lineage, by its ``contracts.records`` class: the one place
#: a new event that moves credits is added (its step: outflows from the pools it draws on, the
#: node and lots it makes, inflows). The mirror's lineage book and ``tracenet verify`` read
#: exactly these events; any other moves no credits.
_STEPS: Mapping[type[EventRecord], Callable[[LineageBook, Any], None]] = {
    R.InputRecorded: _input,
    R.Shipped: _move,
    R.InventoryTransferred: _move,
    R.CertificatesTransferred: _move,
    R.Converted: _convert,
    R.Claimed: _claim,
    R.Lapsed: _lapse,
    R.PeriodClosed: _nothing,
    R.TransitOpened: _transit_opened,
    R.TransitClosed: _transit_closed,
}

#: The event classes the lineage reads (``_STEPS``).
LINEAGE_EVENTS: frozenset[type[EventRecord]] = frozenset(_STEPS)


def trace_shipment(events: Iterable[LedgerEvent], shipment_id: int) -> Lineage:
    """The lineage of shipment ``shipment_id``; ``LookupError`` if the events hold none."""
    return _trace(events, f"shipment:{shipment_id}")


def trace_claim(events: Iterable[LedgerEvent], claim_id: int) -> Lineage:
    """The lineage of claim ``claim_id``; ``LookupError`` if the events hold none."""
    return _trace(events, f"claim:{claim_id}")


def _trace(events: Iterable[LedgerEvent], key: str) -> Lineage:
    book = LineageBook()
    for event in events:
        book.apply(event)
        if _target_key(event) == key:
            break  # later events cannot change what the target took
    return book._lineage(key)


def _target_key(event: LedgerEvent) -> str | None:
    return node_key(event) if isinstance(event.record, R.Shipped | R.Claimed) else None


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _merge(pairs: Iterable[tuple[_LotKey, int]]) -> list[tuple[_LotKey, int]]:
    merged: dict[_LotKey, int] = {}
    for lot, grams in pairs:
        merged[lot] = merged.get(lot, 0) + grams
    return list(merged.items())


def _apportion_int(values: Sequence[int], amount: int, total: int) -> list[int]:
    """Largest remainder split of ``amount`` in proportion to ``values`` (summing to ``total``)."""
    floors, rems = [], []
    for i, v in enumerate(values):
        q, r = divmod(v * amount, total)
        floors.append(q)
        rems.append((-r, i))
    for _, i in sorted(rems)[: amount - sum(floors)]:
        floors[i] += 1
    return floors


def _apportion_sparse(ranked: _Ranked, amount: int) -> dict[int, int]:
    """``_apportion_int(ranked.grams, amount, ranked.total)`` without its zeros, in
    O(amount log amount) instead of O(sources): a pool holds thousands of lots, a trace passes
    a few grams through it.

    Only sources whose share is a gram or more get a floor; they come first in ``by_size``. The
    ``k`` grams left go to the largest remainders: those of the sources with a floor, or of the
    next ``k`` sources of ``by_size``, whose remainder is their whole product ``grams × amount``
    and so ranks as their grams do (ties to the earliest index, as in ``_apportion_int``).
    """
    if not amount:
        return {}
    grams, total, by_size = ranked.grams, ranked.total, ranked.by_size
    out: dict[int, int] = {}
    rems: list[tuple[int, int]] = []
    given = pos = 0
    for i in by_size:
        q, r = divmod(grams[i] * amount, total)
        if not q:
            break
        out[i] = q
        given += q
        rems.append((-r, i))
        pos += 1
    k = amount - given
    if k:
        rems.extend((-grams[i] * amount, i) for i in by_size[pos : pos + k])
        for _, i in heapq.nsmallest(k, rems):
            out[i] = out.get(i, 0) + 1
    return out


def _order(lot: _Lot) -> tuple[int, int]:
    return (-lot.order[0], -lot.order[1])


def _split(
    lots: dict[_LotKey, _Lot], lot: _Lot, part: int, part_share: int
) -> list[tuple[_LotKey, int, int]]:
    """``part`` grams of ``lot``'s sources' credits (``part_share`` of the target's) split over
    its sources by largest remainder; a pool version passes its split on to its own sources, so
    only real lots come out."""
    out: list[tuple[_LotKey, int, int]] = []
    _split_into(lots, lot, part, part_share, out)
    return out


def _split_into(
    lots: dict[_LotKey, _Lot], lot: _Lot, part: int, part_share: int, out: list[Any]
) -> None:
    ranked = lot.rank()
    parts = _apportion_sparse(ranked, part)
    shares = _apportion_sparse(ranked, part_share)
    for i in sorted(parts.keys() | shares.keys()):
        src, p, s = lot.sources[i][0], parts.get(i, 0), shares.get(i, 0)
        source = lots[src]
        if not source.virtual:
            out.append((src, p, s))
        elif p + s > _MEMO_GRAMS:
            _split_into(lots, source, p, s, out)
        else:  # a few grams down a version chain: the same walk for many traces, remembered
            memo = source.memo if source.memo is not None else {}
            passed = memo.get((p, s))
            if passed is None:
                found: list[tuple[_LotKey, int, int]] = []
                _split_into(lots, source, p, s, found)
                passed = memo[(p, s)] = tuple(found)
                source.memo = memo
            out.extend(passed)


def _walk(
    lots: dict[_LotKey, _Lot], events: dict[str, LedgerEvent], key: str, targets: list[_LotKey]
) -> Lineage:
    """Backwards from the target's lots: each lot passes what reaches the target to its sources.

    Sources are strictly earlier on the chain, so visiting lots latest first sees every lot
    after all the lots it feeds. Integers throughout, split by largest remainder at each lot, so
    totals stay exact and contributions that round to nothing end the walk (sparse lineages).
    """
    reach: dict[_LotKey, int] = {}  # grams of the lot's own credits that reach the target
    share: dict[_LotKey, int] = {}  # grams of the target's credits that come through it
    heap: list[tuple[tuple[int, int], _LotKey]] = []
    for k in targets:
        reach[k] = share[k] = lots[k].amount
        heapq.heappush(heap, (_order(lots[k]), k))
    edges: list[Edge] = []
    seen: set[_LotKey] = set()
    while heap:
        _, k = heapq.heappop(heap)
        if k in seen:
            continue
        seen.add(k)
        lot = lots[k]
        inflow = lot.rank().total
        if not lot.amount or not inflow:
            continue
        # in the sources' credits: a conversion's output stands for more input (half up)
        drawn = (2 * reach[k] * inflow + lot.amount) // (2 * lot.amount)
        for src, part, part_share in _split(lots, lot, min(drawn, inflow), share[k]):
            reach[src] = reach.get(src, 0) + part
            share[src] = share.get(src, 0) + part_share
            if part:
                edges.append(Edge(src[0], lot.node, src[1], part))
            heapq.heappush(heap, (_order(lots[src]), src))
    by_node: dict[str, int] = {}
    position: dict[str, tuple[int, int]] = {}
    for k, reached in reach.items():
        by_node[k[0]] = by_node.get(k[0], 0) + reached
        position[k[0]] = lots[k].order
    ordered = sorted(by_node, key=lambda n: (position[n], n))
    nodes = tuple(Node(n, _kind(n), events.get(n), by_node[n]) for n in ordered)
    edges.sort(key=lambda e: (position[e.target], position[e.source], e.source, e.token_id))
    merged: dict[tuple[str, str, int], int] = {}
    for e in edges:
        merged[(e.source, e.target, e.token_id)] = merged.get((e.source, e.target, e.token_id), 0)
        merged[(e.source, e.target, e.token_id)] += e.grams
    origins = []
    for k in sorted(k for k in share if not lots[k].sources):
        event = events.get(k[0])
        is_input = event is not None and isinstance(event.record, R.InputRecorded)
        if is_input and (share[k] or reach[k]):
            origins.append(Origin(event, share[k], reach[k]))  # type: ignore[arg-type]
    origins.sort(key=lambda o: o.input.input_id)
    total = sum(lots[k].amount for k in targets)
    return Lineage(
        target=next(n for n in nodes if n.key == key),
        nodes=nodes,
        edges=tuple(Edge(s, t, tid, g) for (s, t, tid), g in merged.items()),
        origins=tuple(origins),
        unexplained=total - sum(o.grams for o in origins),
    )
