"""The mirror equals the chain: after random workloads (indexed as they run), after a restart,
after a reorg of the in-process chain; on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, func, select, text, update

from tests import model as m
from tests.factories import C_FLAKE, CERT_RECYCLER, G_FLAKE, U_BRAND, World, evidence
from tests.indexer.conftest import follower_for
from tests.indexer.workload import run_workload
from tracenet import contracts
from tracenet.indexer import (
    Follower,
    MirrorMismatchError,
    RangeTooLargeError,
    RawLog,
    Web3Reader,
    check_mirror,
)
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Balance, Party
from tracenet.indexer.mirror._tables_ops import EventRow


def chain_event_counts(world: World) -> Counter[str]:
    """Every event of the three contracts, counted by name straight from eth_getLogs."""
    d = world.handle.deployment
    logs = world.w3.eth.get_logs(
        {"fromBlock": d.block_number, "toBlock": "latest", "address": list(d.addresses.values())}
    )
    decoded = contracts.decode_events({"logs": logs}, addresses=d.addresses)
    return Counter(e.event for e in decoded)


def mirror_event_counts(engine: Engine) -> Counter[str]:
    ev = table(EventRow)
    with engine.connect() as conn:
        rows = conn.execute(select(ev.c.name, func.count()).group_by(ev.c.name)).all()
    return Counter({str(name): int(n) for name, n in rows})


def mirror_balances(engine: Engine) -> dict[tuple[int, int], int]:
    with engine.connect() as conn:
        rows = conn.execute(select(table(Balance))).all()
    return {
        ((r.class_id << 64) | (r.vintage << 32) | r.batch, r.unit_id): r.amount
        for r in rows
        if r.amount
    }


def assert_mirror_equals_chain(world: World, engine: Engine) -> None:
    report = check_mirror(engine, world.handle)
    assert report.ok, report.differences
    assert report.balances_checked > 0
    assert mirror_event_counts(engine) == chain_event_counts(world)
    expected = {k: n for k, n in world.model.balances.items() if n}
    assert mirror_balances(engine) == expected


@pytest.mark.parametrize("seed", [7, 2031])
def test_mirror_equals_chain_after_a_random_workload(
    world: World, follower: Follower, engine: Engine, seed: int
) -> None:
    rng = random.Random(seed)
    stats: Counter[str] = Counter()
    for _ in range(4):
        stats += run_workload(world, rng, 40)
        follower.catch_up()
        assert_mirror_equals_chain(world, engine)
    accepted = sum(n for k, n in stats.items() if k.endswith(" ok"))
    assert accepted >= 60, stats
    assert any(k.endswith(" rejected") for k in stats), stats
    for kind in ("record_input", "ship", "convert", "claim"):
        assert stats[f"{kind} ok"] > 0, stats


def test_a_restarted_follower_resumes_from_the_checkpoint(world: World, engine: Engine) -> None:
    run_workload(world, random.Random(3), 60)
    first = follower_for(world, engine, max_block_range=5)
    first.step()
    first.step()
    checkpoint = first.checkpoint()[0]
    assert world.handle.deployment.block_number <= checkpoint < world.w3.eth.block_number
    second = follower_for(world, engine, max_block_range=7)  # a new process, in effect
    second.catch_up()
    assert_mirror_equals_chain(world, engine)


def test_catch_up_writes_final_ranges_while_it_decodes_the_next(
    world: World, engine: Engine
) -> None:
    """Ranges below the unfinalised window go to the writer thread; the range that reaches the
    window is written by the step itself, after the write in flight; the mirror is the chain's."""
    import threading

    run_workload(world, random.Random(4), 40)
    follower = follower_for(world, engine, max_block_range=2, reorg_window=3)
    writers: list[str] = []
    write = follower._write

    def spy(*args: object) -> None:
        writers.append(threading.current_thread().name)
        write(*args)  # type: ignore[arg-type]

    follower._write = spy  # type: ignore[method-assign]
    result = follower.catch_up()
    assert result.checkpoint == world.w3.eth.block_number == follower.checkpoint()[0]
    assert writers.count("MainThread") >= 1 and len(writers) - writers.count("MainThread") >= 5
    assert writers[-1] == "MainThread"
    assert_mirror_equals_chain(world, engine)
    assert_daily_flows_sum_the_movements(engine)
    follower.close()


def test_a_reorg_of_the_chain_is_rolled_back_and_reindexed(
    world: World, follower: Follower, engine: Engine
) -> None:
    tester = world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    c = world.cast
    run_workload(world, random.Random(11), 30)
    follower.catch_up()
    fork = tester.take_snapshot()
    saved = world.model.__class__.__new__(world.model.__class__)
    saved.__dict__ = {k: _copy(v) for k, v in world.model.__dict__.items()}
    world.ok("record_input", c.recycler, C_FLAKE, 4_000_000, CERT_RECYCLER, evidence("lost"))
    world.ok("record_input", c.recycler, C_FLAKE, 1_000_000, CERT_RECYCLER, evidence("lost"))
    follower.catch_up()
    assert_mirror_equals_chain(world, engine)
    lost_head = world.w3.eth.block_number

    tester.revert_to_snapshot(fork)  # the other branch: different transactions, one block longer
    world.model = saved
    r = world.ok("record_input", c.recycler, C_FLAKE, 2_500_000, CERT_RECYCLER, evidence("won"))
    tid = world.events(r, "InputRecorded")[0]["tokenId"]
    world.ok("ship", c.recycler, U_BRAND, G_FLAKE, 3_000_000, evidence(), [(tid, 2_000_000)])
    world.ok("record_input", c.recycler, C_FLAKE, 10, CERT_RECYCLER, evidence("won"))
    assert world.w3.eth.block_number > lost_head
    results = []
    while not results or results[-1].checkpoint < results[-1].head:
        results.append(follower.step())
    assert [r.rolled_back_to for r in results if r.rolled_back_to is not None] == [lost_head - 2]
    assert_mirror_equals_chain(world, engine)
    assert_daily_flows_sum_the_movements(engine)


def assert_daily_flows_sum_the_movements(engine: Engine) -> None:
    """``daily_flow`` is ``movement`` summed per unit, class, day, kind, direction, vintage and
    counter unit: what a statement reads instead of every movement."""
    from tracenet.indexer.mirror._tables_ops import DailyFlow, Movement

    mv, df = table(Movement), table(DailyFlow)
    with engine.connect() as conn:
        wanted: Counter[tuple[object, ...]] = Counter()
        for r in conn.execute(select(mv)):
            key = (r.unit_id, r.class_id, r.timestamp // 86_400, r.kind, r.amount > 0, r.vintage)
            wanted[(*key, r.counter_unit_id)] += r.amount
        found = {
            (r.unit_id, r.class_id, r.day, r.kind, bool(r.inflow), r.vintage, r.counter_unit_id): (
                r.amount
            )
            for r in conn.execute(select(df))
        }
    assert found == dict(wanted) and len(found) > 3


def _copy(value: object) -> object:
    import copy

    return copy.deepcopy(value)


class _Refusing(Web3Reader):
    """A node that refuses eth_getLogs over more than ``limit`` blocks, as Besu does."""

    limit = 4
    refused = 0

    def logs(self, from_block: int, to_block: int, addresses: Sequence[str]) -> list[RawLog]:
        if to_block - from_block + 1 > self.limit:
            self.refused += 1
            raise RangeTooLargeError("range too large", from_block=from_block, to_block=to_block)
        return super().logs(from_block, to_block, addresses)


def test_the_log_range_halves_when_the_node_refuses_it(world: World, engine: Engine) -> None:
    from tracenet.indexer import IndexerSettings

    run_workload(world, random.Random(9), 30)
    reader = _Refusing(world.w3)
    follower = Follower(
        engine, reader, world.handle.deployment, IndexerSettings(max_block_range=64)
    )
    follower.init()
    follower.catch_up()
    assert reader.refused >= 4  # 64 → 32 → 16 → 8 → 4, then it grows back and halves again
    assert follower.range <= 8
    assert_mirror_equals_chain(world, engine)


def test_check_finds_a_tampered_balance(world: World, follower: Follower, engine: Engine) -> None:
    run_workload(world, random.Random(5), 30)
    follower.catch_up()
    assert check_mirror(engine, world.handle).ok
    bal = table(Balance)
    with engine.begin() as conn:
        conn.execute(update(bal).where(bal.c.amount > 0).values(amount=bal.c.amount + 1))
    report = check_mirror(engine, world.handle)
    assert not report.ok
    kinds = {d.what for d in report.differences}
    assert kinds == {"balance", "held"}
    assert all(d.mirror == d.chain + 1 for d in report.differences if d.what == "balance")


def test_a_mirror_refuses_another_deployment(
    world: World, follower: Follower, engine: Engine
) -> None:
    other = contracts.deploy_ledger(world.w3, world.cast.admin, "Another consortium")
    with pytest.raises(MirrorMismatchError) as raised:
        Follower(engine, Web3Reader(world.w3), other.deployment, follower.settings).init()
    assert raised.value.field == "ledger"


def test_every_event_key_is_written_once(world: World, follower: Follower, engine: Engine) -> None:
    follower.catch_up()
    ev = table(EventRow)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ev)).scalar_one()
        distinct = conn.execute(
            text(
                "SELECT COUNT(*) FROM "
                "(SELECT DISTINCT chain_id, block_number, log_index FROM event) k"
            )
        ).scalar_one()
        parties = conn.execute(select(func.count()).select_from(table(Party))).scalar_one()
    assert total == distinct > 0
    assert parties == len(world.model.parties)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), engine.begin() as conn:
        row = dict(conn.execute(select(ev).limit(1)).mappings().one())
        conn.execute(ev.insert(), row)
    _ = m


def test_the_follower_s_events_are_the_sdk_s_records(world: World, engine: Engine) -> None:
    """The follower's events carry the SDK's own records (checked against eth-abi in
    tests/contracts/test_sdk.py), and a record survives the archive's JSON (``to_args``, then
    ``from_args``: what a replay, the lineage book and the registry rebuild read back)."""
    from tracenet.indexer import EventDecoder

    run_workload(world, random.Random(21), 120)
    d = world.handle.deployment
    reader = Web3Reader(world.w3)
    logs = reader.logs(d.block_number, world.w3.eth.block_number, list(d.addresses.values()))
    fast = EventDecoder(d.addresses)
    decoded = []
    for log in logs:
        event = fast.decode(log, 0)
        raw = {"address": log.address, "topics": log.topics, "data": log.data}
        record = contracts.decode_log(raw, d.addresses)
        assert (event is None) == (record is None)
        if event is not None and record is not None:
            decoded.append(event)
            assert event.record == record and event.ref.block_number == log.block_number
            assert type(record).from_args(record.to_args()) == record  # the archive round trip
    assert len(decoded) > 60
    names = {e.record.NAME for e in decoded}
    assert names >= {"Shipped", "Converted", "Claimed", "ClassRegistered"}


def test_awkward_text_survives_the_bulk_insert(
    world: World, follower: Follower, engine: Engine
) -> None:
    from tracenet.indexer.mirror._tables_ops import ClaimRow

    c = world.cast
    r = world.ok("record_input", c.recycler, C_FLAKE, 1_000, CERT_RECYCLER, evidence())
    tid = world.events(r, "InputRecorded")[0]["tokenId"]
    awkward = 'Acme\tBottles\n\\GmbH "quoted" \\N ünïcödé\r'
    world.ok("claim", c.recycler, [(tid, 10)], awkward)
    follower.catch_up()
    with engine.connect() as conn:
        stored = conn.execute(select(table(ClaimRow).c.beneficiary)).scalar_one()
        args = conn.execute(
            select(table(EventRow).c.args).where(table(EventRow).c.name == "Claimed")
        ).scalar_one()
    assert stored == awkward == args["beneficiary"]
