"""What the pipeline writes to the store at each step, and the events it decodes.

Each function runs on the store's writer thread, in one transaction (``Store.write``), and
moves a batch of requests along queued → signed → submitted → confirmed | rejected with one
``executemany`` per statement; ``_decode_receipts`` runs in a helper process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, case, update
from sqlmodel import Session, col

from tracenet import contracts
from tracenet.gateway._jsonable import jsonable
from tracenet.gateway._models import Request, Status, utcnow
from tracenet.gateway._store import REQUESTS, Store

__all__ = [
    "aware", "decode_receipts", "mark_submitted", "reopen", "requeue", "save_final",
    "save_signed",
]  # fmt: skip


def decode_receipts(receipts: list[list[tuple[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The decoded events of each receipt (runs in the helper process: ~0.3 ms a receipt)."""
    out = []
    for logs in receipts:
        events = []
        for name, entry in logs:
            record = contracts.decode_log(entry)  # the SDK's records; structs by field name
            if record is not None and name == record.CONTRACT:
                events.append(
                    {"contract": name, "event": record.NAME, "args": jsonable(record.to_args())}
                )
        out.append(events)
    return out


def aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def save_signed(
    session: Session, signed: Sequence[tuple[int, dict[str, Any]]], nonces: dict[str, int]
) -> None:
    ok = [{"w_seq": seq, "w_status": Status.QUEUED, **v} for seq, v in signed if "signer" in v]
    refused = [
        {"w_seq": seq, "w_status": Status.QUEUED, **v} for seq, v in signed if "signer" not in v
    ]
    Store.update_many(session, ok, where=("seq", "status"), columns=_SIGNED)
    Store.update_many(session, refused, where=("seq", "status"), columns=_REFUSED)
    Store.set_nonces(session, nonces)


_SIGNED = ("status", "signer", "nonce", "raw_tx", "tx_hash", "signed_at")
_REFUSED = ("status", "outcome", "final_at")


def mark_submitted(session: Session, seqs: Sequence[int]) -> None:
    """One statement: every row was (re)sent now; a ``signed`` one becomes ``submitted``."""
    if not seqs:  # an empty executemany is deprecated in SQLAlchemy (an error in a later one)
        return
    now = utcnow()
    signed = REQUESTS.c.status == Status.SIGNED
    session.connection().execute(
        update(REQUESTS)
        .where(REQUESTS.c.seq == bindparam("w_seq"))
        .values(
            sent_at=now,
            attempts=REQUESTS.c.attempts + 1,
            status=case((signed, Status.SUBMITTED.value), else_=REQUESTS.c.status),
            submitted_at=case((signed, now), else_=REQUESTS.c.submitted_at),
        ),
        [{"w_seq": seq} for seq in seqs],
    )


def save_final(session: Session, changes: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
    Store.update_many(
        session,
        [{"w_seq": seq, "w_tx_hash": tx_hash, **values} for seq, tx_hash, values in changes],
        where=("seq", "tx_hash"),
        columns=("status", "block_number", "block_hash", "final_at", "outcome"),
    )


def reopen(session: Session, seqs: Sequence[int | None]) -> None:
    for seq in seqs:
        session.execute(
            update(Request)
            .where(col(Request.seq) == seq)
            .values(
                status=Status.SUBMITTED, block_number=None, block_hash=None, final_at=None,
                outcome=None, sent_at=None,
            )
        )  # fmt: skip


def requeue(session: Session, carried: Sequence[tuple[int | None, str | None]]) -> None:
    """Back to ``queued`` (to be signed with a new nonce): only while the row is still in
    flight with that transaction; a row the tracker finalised meanwhile stays final."""
    for seq, tx_hash in carried:
        session.execute(
            update(Request)
            .where(
                col(Request.seq) == seq,
                col(Request.tx_hash) == tx_hash,
                col(Request.status).in_([Status.SIGNED, Status.SUBMITTED]),
            )
            .values(
                status=Status.QUEUED, signer=None, nonce=None, raw_tx=None, tx_hash=None,
                signed_at=None, submitted_at=None, sent_at=None,
            )
        )  # fmt: skip
