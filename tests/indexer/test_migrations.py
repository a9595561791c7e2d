"""Upgrades keep data: a mirror written at the first schema revision (64-bit amounts) is upgraded
to the last, on SQLite and PostgreSQL; every row survives, the upgraded schema equals a fresh one,
and it then holds amounts past 2^63. A mirror created before migrations existed is recognised."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, insert, select, text
from sqlmodel import SQLModel

from tracenet.indexer.mirror._migrate import HEAD, current_revision, migrate, mirror_tables
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import ApiKey, Balance, Cursor, Scheme
from tracenet.indexer.mirror._tables_ops import EventRow, Movement

BIG = 2**128 - 1


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            name: sorted(tuple(r) for r in conn.execute(select(table(m))))
            for name, m in (("balance", Balance), ("api_key", ApiKey), ("movement", Movement))
        }


def test_data_written_at_the_first_revision_survives_the_upgrade(engine: Engine) -> None:
    assert migrate(engine, "0001") == "0001"
    key = {"party_id": 4, "key_hash": "ab" * 32, "label": "erp", "created_at": 1, "revoked": False}
    move = {"chain_id": 1, "block_number": 7, "log_index": 0, "seq": 0, "timestamp": 9,
            "kind": "input", "unit_id": 1, "counter_unit_id": 0, "class_id": 1, "vintage": 244,
            "batch": 0, "amount": 2**63 - 1}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(table(ApiKey)), key)
        conn.execute(insert(table(Movement)), move)
        conn.execute(
            insert(table(Balance)),
            {"unit_id": 1, "class_id": 1, "vintage": 244, "batch": 0, "amount": 2**63 - 1},
        )
        conn.execute(
            insert(table(Cursor)),
            {"chain_id": 1, "ledger": "0x", "start_block": 0, "block_number": 7,
             "block_hash": "0x07", "addresses": {}},
        )  # fmt: skip
    before = _rows(engine)
    assert migrate(engine) == HEAD == current_revision(engine)
    assert _rows(engine) == before
    with engine.begin() as conn:
        conn.execute(insert(table(Balance)), {"unit_id": 2, "class_id": 1, "vintage": 244,
                                              "batch": 0, "amount": BIG})  # fmt: skip
        amounts = conn.execute(select(table(Balance).c.amount)).scalars().all()
    assert sorted(amounts) == [2**63 - 1, BIG]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        wanted = MetaData()
        for t in mirror_tables():
            t.to_metadata(wanted)
        diffs = [d for d in compare_metadata(context, wanted) if "alembic_version" not in str(d)]
    assert diffs == [] or _only_type_spelling(diffs), diffs
    assert migrate(engine) == HEAD  # idempotent


def _only_type_spelling(diffs: list[object]) -> bool:
    """SQLite reports the decimal-text amounts as VARCHAR, the metadata says NUMERIC: the same."""
    return all(
        isinstance(d, list) and all(x[0] == "modify_type" and "NUMERIC" in str(x[6]) for x in d)
        for d in diffs
    )


def test_a_mirror_created_before_migrations_is_upgraded(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=mirror_tables())  # no version table
    assert current_revision(engine) is None
    assert migrate(engine) == HEAD


def test_processes_starting_on_one_fresh_mirror_at_once_both_migrate(engine: Engine) -> None:
    results: list[object] = []

    def start() -> None:
        try:
            results.append(migrate(engine))
        except Exception as exc:  # collected: the assertion below names it
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [HEAD] * 4


def test_the_upgrade_fills_each_scheme_s_custody_from_the_archive(engine: Engine) -> None:
    """Revision 0003 (issue 13): SchemeCustodySet events already mirrored set the new column."""
    assert migrate(engine, "0002") == "0002"
    event = {"chain_id": 1, "timestamp": 9, "block_hash": "0x", "tx_hash": "0x",
             "contract": "Catalog", "name": "SchemeCustodySet"}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO scheme (id, name, max_period_months) VALUES (1, 'ISCC PLUS', 12)")
        )
        for block, mode in [(7, 2), (8, 1)]:  # the later change wins
            args = {"schemeId": 1, "custody": mode}
            conn.execute(
                insert(table(EventRow)),
                {**event, "block_number": block, "log_index": 0, "args": args},
            )
    assert migrate(engine) == HEAD
    with engine.connect() as conn:
        assert conn.execute(select(table(Scheme).c.custody)).scalar_one() == 1
