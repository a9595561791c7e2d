"""The mirror never stops on an amount the chain can carry: inputs, shipments and claims of 2^63 g
and 2^128 − 1 g (and uint64 dates past 2^63) are written, summed and reported exactly on SQLite
and PostgreSQL. The events are written straight to the store (the chain's own bound may refuse
such amounts, the mirror must not care)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from tests.factories import C_FLAKE, CERT_RECYCLER, G_FLAKE, U_BRAND, U_RECYCLER, World, at
from tracenet.contracts import EventRecord, token_id
from tracenet.contracts import records as R
from tracenet.indexer import Follower
from tracenet.indexer.api._reports import balances, statement, traceability
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.mirror._chain import Header
from tracenet.indexer.mirror._decode import Event, EventRef
from tracenet.indexer.mirror._project import project
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._store import write_batch
from tracenet.indexer.mirror._tables import Certificate, Cursor

BIG = 2**63
HUGE = 2**128 - 1
Q1 = 244  # 2031-Q1


def _event(n: int, record: EventRecord) -> Event[EventRecord]:
    ref = EventRef(10_000 + n, 0, f"0x{n + 1:064x}", at(2031, 2, 1) + n, f"0x{n:064x}")
    return Event(ref, record)


def _text(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def _write(engine: Engine, chain_id: int, events: list[Event[EventRecord]]) -> None:
    with engine.begin() as conn:
        cur = conn.execute(select(table(Cursor))).one()
        last = events[-1].ref
        head = Header(last.block_number, last.block_hash, "0x" + "00" * 32, last.timestamp)
        write_batch(
            conn,
            project(chain_id, events),
            previous=(cur.block_number, cur.block_hash),
            checkpoint=head,
            window=[],
            keep_from=head.number,
        )


def test_inputs_shipments_and_claims_beyond_64_bits_are_mirrored_exactly(
    world: World, follower: Follower, engine: Engine
) -> None:
    follower.catch_up()
    flake = token_id(C_FLAKE, Q1, 0)
    zero = bytes(32)
    events = [
        _event(0, R.InputRecorded(1, U_RECYCLER, flake, CERT_RECYCLER, BIG, zero)),
        _event(1, R.InputRecorded(2, U_RECYCLER, flake, CERT_RECYCLER, HUGE, zero)),
        _event(
            2,
            R.Shipped(
                shipment_id=1,
                from_unit_id=U_RECYCLER,
                to_unit_id=U_BRAND,
                product_group_id=G_FLAKE,
                quantity=HUGE,
                document_hash=zero,
                order_ref=_text("PO-1"),
                product=_text("flakes"),
                token_ids=(flake, flake),
                amounts=(BIG, BIG),
            ),
        ),
        _event(
            3,
            R.Claimed(
                claim_id=1,
                unit_id=U_BRAND,
                beneficiary="Acme",
                product=_text("bottles"),
                purpose=_text("recycled content"),
                token_ids=(flake,),
                amounts=(BIG,),
            ),
        ),
        _event(
            4,
            R.CertificateRegistered(
                certificate_id=99,
                holder_party_id=4,
                certifier_party_id=2,
                scheme_id=1,
                number="EU-ISCC-Cert-BIG",
                valid_from=0,
                valid_until=2**64 - 1,
                audited_volume=HUGE,
                class_ids=(C_FLAKE,),
                unit_ids=(U_RECYCLER,),
            ),
        ),
    ]
    _write(engine, world.handle.deployment.chain_id, events)
    with engine.connect() as conn:
        held = {b["unit_id"]: b["amount_g"] for b in balances(conn, units=None, class_id=C_FLAKE)}
        assert held[U_RECYCLER] == BIG + HUGE - 2 * BIG
        assert held[U_BRAND] == 2 * BIG - BIG
        s = statement(conn, unit_id=U_RECYCLER, class_id=C_FLAKE, period=Q1)
        assert s["inputs"]["sustainable_g"] == BIG + HUGE
        assert s["shipped_g"] == 2 * BIG
        assert s["closing_g"] == HUGE - BIG
        assert s["balanced"] is True
        audit = supply_audit(conn, class_id=C_FLAKE, period=Q1)
        assert audit["reconciles"] is True
        assert audit["total"]["created_g"] == BIG + HUGE
        assert audit["total"]["claimed_g"] == BIG
        rows = traceability(conn, unit_id=U_RECYCLER, start=at(2031, 1, 1), end=at(2031, 4, 1))[
            "customers"
        ]
        assert [(r["physical_g"], r["sustainable_g"]) for r in rows] == [(HUGE, 2 * BIG)]
        cert = conn.execute(select(table(Certificate)).where(table(Certificate).c.id == 99)).one()
        assert (cert.valid_until, cert.audited_volume) == (2**64 - 1, HUGE)
