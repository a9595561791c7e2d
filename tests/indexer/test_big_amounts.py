"""The mirror never stops on an amount the chain can carry: inputs, shipments and claims of 2^63 g
and 2^128 − 1 g (and uint64 dates past 2^63) are written, summed and reported exactly on SQLite
and PostgreSQL. The events are written straight to the store (the chain's own bound may refuse
such amounts, the mirror must not care)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from tests.factories import C_FLAKE, CERT_RECYCLER, G_FLAKE, U_BRAND, U_RECYCLER, World, at
from tracenet.contracts import token_id
from tracenet.indexer import Follower
from tracenet.indexer.api._reports import balances, statement, traceability
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.mirror._chain import Header
from tracenet.indexer.mirror._decode import Event
from tracenet.indexer.mirror._project import project
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._store import write_batch
from tracenet.indexer.mirror._tables import Certificate, Cursor

BIG = 2**63
HUGE = 2**128 - 1
Q1 = 244  # 2031-Q1


def _event(n: int, contract: str, name: str, args: dict[str, Any]) -> Event:
    return Event(
        block_number=10_000 + n,
        log_index=0,
        block_hash=f"0x{n:064x}",
        tx_hash=f"0x{n + 1:064x}",
        timestamp=at(2031, 2, 1) + n,
        contract=contract,
        name=name,
        args=args,
    )


def _write(engine: Engine, chain_id: int, events: list[Event]) -> None:
    with engine.begin() as conn:
        cur = conn.execute(select(table(Cursor))).one()
        last = events[-1]
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
    zero = "0x" + "00" * 32
    events = [
        _event(
            0,
            "Ledger",
            "InputRecorded",
            {
                "inputId": 1,
                "unitId": U_RECYCLER,
                "tokenId": flake,
                "certificateId": CERT_RECYCLER,
                "amount": BIG,
                "evidenceHash": zero,
            },
        ),
        _event(
            1,
            "Ledger",
            "InputRecorded",
            {
                "inputId": 2,
                "unitId": U_RECYCLER,
                "tokenId": flake,
                "certificateId": CERT_RECYCLER,
                "amount": HUGE,
                "evidenceHash": zero,
            },
        ),
        _event(
            2,
            "Ledger",
            "Shipped",
            {
                "shipmentId": 1,
                "fromUnitId": U_RECYCLER,
                "toUnitId": U_BRAND,
                "productGroupId": G_FLAKE,
                "quantity": HUGE,
                "tokenIds": [flake, flake],
                "amounts": [BIG, BIG],
                "documentHash": zero,
                "orderRef": "PO-1",
                "product": "flakes",
            },
        ),
        _event(
            3,
            "Ledger",
            "Claimed",
            {
                "claimId": 1,
                "unitId": U_BRAND,
                "tokenIds": [flake],
                "amounts": [BIG],
                "beneficiary": "Acme",
                "product": "bottles",
                "purpose": "recycled content",
            },
        ),
        _event(
            4,
            "Consortium",
            "CertificateRegistered",
            {
                "certificateId": 99,
                "holderPartyId": 4,
                "certifierPartyId": 2,
                "schemeId": 1,
                "number": "EU-ISCC-Cert-BIG",
                "validFrom": 0,
                "validUntil": 2**64 - 1,
                "auditedVolume": HUGE,
                "classIds": [C_FLAKE],
                "unitIds": [U_RECYCLER],
            },
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
