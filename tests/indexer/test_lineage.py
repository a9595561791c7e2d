"""Lineage: pro-rata allocation over decoded events, exact integer totals, linear pass."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tracenet.contracts import EventRecord, LapseReason
from tracenet.contracts import records as R
from tracenet.indexer.lineage._lineage import (
    LedgerEvent,
    LineageBook,
    _apportion_int,
    _apportion_sparse,
    _Lot,
    trace_claim,
    trace_shipment,
)
from tracenet.indexer.mirror._decode import Event, EventRef

FLAKE, RESIN = (1 << 64) | (244 << 32), (2 << 64) | (244 << 32)
B = b"\x01" * 32


def _columns(lines: Iterable[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Credit lines as the records keep them: token ids, then amounts."""
    pairs = tuple(lines)
    return tuple(t for t, _ in pairs), tuple(a for _, a in pairs)


class Chain:
    """Builds events in chain order, one per block."""

    def __init__(self) -> None:
        self.events: list[LedgerEvent] = []
        self.ids: Counter[str] = Counter()

    def add(self, record: EventRecord) -> None:
        n = len(self.events) + 1
        self.events.append(Event(EventRef(n, 0, f"0x{n:064x}", 1_900_000_000 + n * 60), record))

    def next_id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def input(self, unit: int, tid: int, amount: int, cert: int = 1) -> int:
        i = self.next_id("input")
        ev = i.to_bytes(32, "big")
        self.add(R.InputRecorded(i, unit, tid, cert, amount, ev))
        return i

    def ship(self, a: int, b: int, *lines: tuple[int, int], quantity: int = 10**9) -> int:
        i = self.next_id("shipment")
        self.add(R.Shipped(i, a, b, 1, quantity, B, B, B, *_columns(lines)))
        return i

    def transfer(self, a: int, b: int, *lines: tuple[int, int]) -> None:
        self.add(R.InventoryTransferred(a, b, *_columns(lines)))

    def trade(self, a: int, b: int, *lines: tuple[int, int]) -> None:
        self.add(R.CertificatesTransferred(a, b, B, *_columns(lines)))

    def convert(self, unit: int, inputs: list[tuple[int, int]], out: int, bps: int) -> int:
        i = self.next_id("conversion")
        amount = sum(a for _, a in inputs) * bps // 10_000
        self.add(R.Converted(i, unit, 1, 0, bps, *_columns(inputs), out, amount))
        return i

    def claim(self, unit: int, *lines: tuple[int, int]) -> int:
        i = self.next_id("claim")
        self.add(R.Claimed(i, unit, "Acme", B, B, *_columns(lines)))
        return i

    def lapse(self, unit: int, tid: int, amount: int) -> None:
        self.add(R.Lapsed(unit, tid, amount, LapseReason.window, 245))


def test_the_flake_to_resin_illustration() -> None:
    c = Chain()
    c.input(1, FLAKE, 10_000_000)
    c.ship(1, 2, (FLAKE, 6_000_000))
    c.convert(2, [(FLAKE, 6_000_000)], RESIN, 9_000)
    c.claim(2, (RESIN, 1_000_000))
    lineage = trace_claim(c.events, 1)
    assert [n.key for n in lineage.nodes] == ["input:1", "shipment:1", "conversion:1", "claim:1"]
    assert [n.grams for n in lineage.nodes] == [1_111_111, 1_111_111, 1_000_000, 1_000_000]
    (origin,) = lineage.origins
    assert (origin.input.input_id, origin.grams, origin.input_grams) == (1, 1_000_000, 1_111_111)
    assert lineage.unexplained == 0
    assert {(e.source, e.target, e.token_id, e.grams) for e in lineage.edges} == {
        ("input:1", "shipment:1", FLAKE, 1_111_111),
        ("shipment:1", "conversion:1", FLAKE, 1_111_111),
        ("conversion:1", "claim:1", RESIN, 1_000_000),
    }


def test_an_outflow_takes_the_pools_composition_pro_rata() -> None:
    c = Chain()
    c.input(1, FLAKE, 6_000)
    c.input(1, FLAKE, 4_000)
    c.ship(1, 2, (FLAKE, 5_000))
    lineage = trace_shipment(c.events, 1)
    assert [(o.input.input_id, o.grams) for o in lineage.origins] == [(1, 3_000), (2, 2_000)]
    book = LineageBook().apply_all(c.events)
    assert book.pool(1, FLAKE) == {f"input:1#{FLAKE}": 3_000, f"input:2#{FLAKE}": 2_000}
    assert book.pool(2, FLAKE) == {f"shipment:1#{FLAKE}": 5_000}


def test_rounding_keeps_every_total_exact_and_breaks_ties_to_the_earliest() -> None:
    c = Chain()
    for _ in range(3):
        c.input(1, FLAKE, 1)
    c.ship(1, 2, (FLAKE, 2))
    lineage = trace_shipment(c.events, 1)
    assert [(o.input.input_id, o.grams) for o in lineage.origins] == [(1, 1), (2, 1)]
    assert LineageBook().apply_all(c.events).pool(1, FLAKE) == {f"input:3#{FLAKE}": 1}


def test_inflows_merge_and_a_claim_draws_on_everything_upstream() -> None:
    c = Chain()
    c.input(1, FLAKE, 9_000)
    c.input(3, FLAKE, 1_000)
    c.ship(1, 2, (FLAKE, 9_000))
    c.ship(3, 2, (FLAKE, 1_000))
    c.claim(2, (FLAKE, 5_000))
    lineage = trace_claim(c.events, 1)
    assert [(o.input.input_id, o.input.unit_id, o.grams) for o in lineage.origins] == [
        (1, 1, 4_500),
        (2, 3, 500),
    ]
    assert {n.key: n.grams for n in lineage.nodes}["shipment:2"] == 500


def test_transfers_trades_and_lapses_keep_the_composition() -> None:
    c = Chain()
    c.input(1, FLAKE, 3_000)
    c.input(1, FLAKE, 1_000)
    c.transfer(1, 4, (FLAKE, 2_000))
    c.lapse(1, FLAKE, 2_000)
    c.trade(4, 5, (FLAKE, 1_000))
    c.claim(5, (FLAKE, 1_000))
    lineage = trace_claim(c.events, 1)
    assert [n.kind for n in lineage.nodes] == ["input", "input", "transfer", "trade", "claim"]
    assert [(o.input.input_id, o.grams) for o in lineage.origins] == [(1, 750), (2, 250)]
    assert LineageBook().apply_all(c.events).pool(1, FLAKE) == {}


def test_segregated_batches_have_an_exact_lineage() -> None:
    c = Chain()
    glass1, glass2 = (3 << 64) | (244 << 32) | 1, (3 << 64) | (244 << 32) | 2
    c.input(1, glass1, 5_000)
    c.input(1, glass2, 7_000)
    c.ship(1, 2, (glass2, 3_000))
    c.ship(1, 2, (glass1, 5_000))
    assert [o.input.input_id for o in trace_shipment(c.events, 1).origins] == [2]
    assert [o.input.input_id for o in trace_shipment(c.events, 2).origins] == [1]


def test_a_conversion_from_two_pools_and_a_diamond() -> None:
    c = Chain()
    c.input(1, FLAKE, 8_000)
    old = FLAKE - (1 << 32)
    c.input(1, old, 2_000)
    c.transfer(1, 2, (FLAKE, 4_000))
    c.transfer(1, 2, (FLAKE, 4_000))  # two paths from the same pool into the next
    c.transfer(1, 2, (old, 2_000))
    c.convert(2, [(FLAKE, 8_000), (old, 2_000)], RESIN, 5_000)
    c.ship(2, 3, (RESIN, 5_000))
    lineage = trace_shipment(c.events, 1)
    assert [(o.input.input_id, o.grams, o.input_grams) for o in lineage.origins] == [
        (1, 4_000, 8_000),
        (2, 1_000, 2_000),
    ]
    (conversion,) = lineage.of_kind("conversion")
    assert conversion.grams == 5_000 and len(lineage.of_kind("transfer")) == 3
    assert sum(e.grams for e in lineage.edges if e.target == "conversion:1") == 10_000


def test_an_outflow_beyond_the_pool_is_unexplained() -> None:
    c = Chain()
    c.input(1, FLAKE, 1_000)
    c.ship(1, 2, (FLAKE, 4_000))  # a tampered record: more than was there
    lineage = trace_shipment(c.events, 1)
    assert lineage.unexplained == 3_000
    assert [(o.input.input_id, o.grams) for o in lineage.origins] == [(1, 1_000)]
    assert "unexplained" in {n.kind for n in lineage.nodes}


def test_an_unknown_target_is_a_lookup_error() -> None:
    c = Chain()
    c.input(1, FLAKE, 1_000)
    with pytest.raises(LookupError, match="no claim 7"):
        trace_claim(c.events, 7)
    with pytest.raises(LookupError, match="no shipment 1"):
        LineageBook().apply_all(c.events).shipment(1)


def test_a_conventional_delivery_is_a_shipment_with_nothing_upstream() -> None:
    """A shipment with no credit lines (R10): its lineage is itself, 0 g, and it changes no pool."""
    c = Chain()
    c.input(1, FLAKE, 1_000)
    conventional = c.ship(1, 2, quantity=5_000_000)
    c.ship(1, 2, (FLAKE, 400))
    for lineage in (
        trace_shipment(c.events, conventional),
        LineageBook().apply_all(c.events).shipment(conventional),
    ):
        assert lineage.target.key == f"shipment:{conventional}" and lineage.target.grams == 0
        assert lineage.target.event is not None
        shipped = lineage.target.event.record
        assert isinstance(shipped, R.Shipped) and shipped.quantity == 5_000_000
        assert [n.key for n in lineage.nodes] == [lineage.target.key]
        assert (lineage.edges, lineage.origins, lineage.unexplained) == ((), (), 0)
    book = LineageBook().apply_all(c.events)
    assert book.has(f"shipment:{conventional}") and book.pool(1, FLAKE) == {
        "input:1#" + str(FLAKE): 600
    }
    assert [o.grams for o in book.shipment(2).origins] == [400]


def test_period_close_moves_nothing_by_itself() -> None:
    c = Chain()
    c.input(1, FLAKE, 1_000)
    c.add(R.PeriodClosed(1, 1, 244, 1_000, 600, 400))
    c.lapse(1, FLAKE, 400)  # the stock-cap lapse arrives as its own event
    assert LineageBook().apply_all(c.events).pool(1, FLAKE) == {f"input:1#{FLAKE}": 600}


_op = st.tuples(
    st.sampled_from(["input", "ship", "transfer", "convert", "claim", "lapse"]),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 5_000),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(_op, min_size=1, max_size=40))
def test_pools_match_balances_and_lineages_add_up(ops: list[tuple[str, int, int, int]]) -> None:
    c, balance = Chain(), Counter[tuple[int, int]]()
    for op, a, b, n in ops:
        if op == "input":
            c.input(a, FLAKE, n)
            balance[(a, FLAKE)] += n
            continue
        n = min(n, balance[(a, FLAKE)])
        if n == 0:
            continue
        if op == "ship" and a != b:
            c.ship(a, b, (FLAKE, n))
            balance[(b, FLAKE)] += n
        elif op == "transfer" and a != b:
            c.transfer(a, b, (FLAKE, n))
            balance[(b, FLAKE)] += n
        elif op == "convert" and n * 7_000 // 10_000:
            c.convert(a, [(FLAKE, n)], RESIN, 7_000)
            balance[(a, RESIN)] += n * 7_000 // 10_000
        elif op == "claim":
            c.claim(a, (FLAKE, n))
        elif op == "lapse":
            c.lapse(a, FLAKE, n)
        else:
            continue
        balance[(a, FLAKE)] -= n
    book = LineageBook().apply_all(c.events)
    for (unit, tid), held in balance.items():
        assert sum(book.pool(unit, tid).values()) == held
    for kind in ("shipment", "claim"):
        for i in range(1, c.ids[kind] + 1):
            lineage = book.shipment(i) if kind == "shipment" else book.claim(i)
            assert lineage.unexplained == 0
            assert sum(o.grams for o in lineage.origins) == lineage.target.grams


def test_a_hundred_thousand_events_in_one_linear_pass() -> None:
    """200 units trading in a ring; a new vintage (token id) every 2 000 rounds, as periods do."""
    c = Chain()
    units = 200
    for round_ in range(10_000):
        u, tid = round_ % units + 1, FLAKE + ((round_ // 2_000) << 32)
        c.input(u, tid, 10_000)
        c.input(u, tid, 7_000)
        c.ship(u, u % units + 1, (tid, 9_000))
        c.transfer(u, u % units + 1, (tid, 1_000))
        c.claim(u, (tid, 3_000))
        for _ in range(5):
            c.lapse(u, tid, 100)
    assert len(c.events) == 100_000
    started = time.perf_counter()
    book = LineageBook().apply_all(c.events)
    lineage = book.claim(10_000)
    elapsed = time.perf_counter() - started
    assert sum(o.grams for o in lineage.origins) == 3_000 and lineage.unexplained == 0
    assert len(lineage.origins) > 10
    assert elapsed < 60, f"{elapsed:.1f} s"  # a generous bound: a few seconds on a laptop


def test_a_pool_of_ten_thousand_inputs_drawn_ten_thousand_times() -> None:
    """An outflow costs the same whatever the pool holds: no split over every lot in the pool."""
    c = Chain()
    for i in range(10_000):
        c.input(1, FLAKE, 1_000 + i)
    for _ in range(10_000):
        c.ship(1, 2, (FLAKE, 500))
    started = time.perf_counter()
    book = LineageBook().apply_all(c.events)
    lineage = book.shipment(10_000)
    elapsed = time.perf_counter() - started
    assert sum(o.grams for o in lineage.origins) == 500 and lineage.unexplained == 0
    assert {n.kind for n in lineage.nodes} == {"input", "shipment"}
    assert sum(book.pool(1, FLAKE).values()) == sum(range(1_000, 11_000)) - 10_000 * 500
    assert elapsed < 20, f"{elapsed:.1f} s"  # a generous bound: well under a second on a laptop


_grams = st.one_of(st.integers(0, 3), st.integers(0, 10**6))  # small values make ties


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_grams, min_size=1, max_size=60), st.integers(0, 10**7))
def test_the_sparse_split_is_the_largest_remainder_split(values: list[int], amount: int) -> None:
    """A trace splits a few grams over a pool of thousands of lots without visiting them all:
    the same integers as the dense split, ties to the earliest source included."""
    total = sum(values)
    assume(total)  # a pool version holds something
    lot = _Lot(
        "pool:1:1", total, [((f"input:{i}", FLAKE), v) for i, v in enumerate(values)], (1, 0)
    )
    dense = _apportion_int(values, amount, total)
    assert _apportion_sparse(lot.rank(), amount) == {i: g for i, g in enumerate(dense) if g}


def test_remembered_splits_give_the_lineage_of_a_fresh_book() -> None:
    """Traces through the same pool versions reuse their splits: asked in any order, after
    other traces or first, a lineage is the same."""
    c = Chain()
    for i in range(300):
        c.input(1, FLAKE, 1_000 + 7 * i)
        c.ship(1, 2, (FLAKE, 1 + i % 5))
        c.ship(2, 3, (FLAKE, 1 + i % 3))
        if i % 4 == 3:
            c.claim(3, (FLAKE, 2))
    book = LineageBook().apply_all(c.events)
    asked = {i: book.shipment(i) for i in range(1, c.ids["shipment"] + 1)}
    asked |= {-i: book.claim(i) for i in range(1, c.ids["claim"] + 1)}
    for i in (600, 599, 2, 1, 301):
        assert LineageBook().apply_all(c.events).shipment(i) == asked[i]
    for i in (75, 1, 40):
        assert LineageBook().apply_all(c.events).claim(i) == asked[-i]
    assert sum(o.grams for o in asked[-75].origins) == 2
