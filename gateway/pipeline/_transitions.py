"""What the pipeline writes to the store at each step, and the events it decodes.

Each function runs on the store's writer thread, in one transaction (``Store.write``), and
moves a batch of requests along queued → signed → submitted → confirmed | rejected with one
``executemany`` per statement; ``_decode_receipts`` runs in a helper process. A request is
*claimed* (``claim``: signer and nonce allocated, status ``signed``) before it is signed, and its
signed bytes are recorded (``save_bytes``) before they are sent; both run under the signing
lease (gateway/pipeline/_lease.py) and check that every row they meant to change changed.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, case, select, update
from sqlmodel import Session, col
from sqlmodel import select as sql_select

from tracenet import contracts
from tracenet.gateway._jsonable import jsonable
from tracenet.gateway.pipeline._models import Request, SignerState, Status, utcnow
from tracenet.gateway.pipeline._store import REQUESTS, Store
from tracenet.kit.errors import TracenetError

__all__ = [
    "Assign", "ClaimConflict", "aware", "claim", "decode_receipts", "mark_submitted", "reopen",
    "requeue", "save_bytes", "save_final",
]  # fmt: skip


def decode_receipts(receipts: list[list[tuple[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The decoded events of each receipt (runs in the helper process: ~0.3 ms a receipt)."""
    out = []
    for logs in receipts:
        events = []
        for name, entry in logs:
            record = contracts.decode_log(entry)  # the SDK's records; structs by field name
            if record is not None and name == record.CONTRACT:
                events.append({"contract": name, "event": record.NAME, "args": named_args(record)})
        out.append(events)
    return out


def named_args(record: Any) -> dict[str, Any]:
    """An event's arguments as JSON, enumerations by name (``"custody": "certified"``,
    ``"reason": "window"``) and role masks as lists of role names (README, "API
    conventions"), never their integer codes."""
    args = record.to_args()
    for field, attr in zip(record.FIELDS, dataclasses.fields(record), strict=True):
        if field.wrap is not None and issubclass(field.wrap, enum.Enum):
            value = getattr(record, attr.name)
            if isinstance(value, enum.Flag):
                args[field.name] = [str(m.name) for m in value]
            elif isinstance(value, enum.Enum):
                args[field.name] = value.name
    return dict(jsonable(args))


def aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: What signing allocates to a claimed row (``claim``): signer, nonce, when.
Assign = Callable[[Sequence[Any], dict[str, int]], list[tuple[int, dict[str, Any]]]]


class ClaimConflict(TracenetError, RuntimeError):
    """A row changed under a claim or a signature (another writer): the transaction is rolled
    back and nothing of it is signed or sent."""


def claim(
    session: Session, limit: int, assign: Assign
) -> tuple[list[Any], list[tuple[int, dict[str, Any]]]]:
    """Claim the oldest queued requests: lock them, give each a signer and nonce (``assign``,
    from the signers' stored next nonces) or refuse it (no signer), and commit the claim with
    the next nonces BEFORE anything is signed. Runs under the signing lease
    (``Store.write_leased``). Returns the rows and what each got."""
    t = REQUESTS
    stmt = (
        select(t.c.seq, t.c.party_id, t.c.unit_id, t.c.to_address, t.c.call_data)
        .where(t.c.status == Status.QUEUED)
        .order_by(t.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.connection().execute(stmt))
    if not rows:
        return [], []
    stored = {r.address: r.next_nonce for r in session.exec(sql_select(SignerState))}
    out = assign(rows, stored)
    ok = [{"w_seq": seq, **v} for seq, v in out if "signer" in v]
    refused = [{"w_seq": seq, **v} for seq, v in out if "signer" not in v]
    queued = (t.c.status == Status.QUEUED,)
    changed = Store.update_many(session, ok, where=("seq",), columns=_CLAIMED, extra=queued)
    changed += Store.update_many(session, refused, where=("seq",), columns=_REFUSED, extra=queued)
    if changed != len(out):
        raise ClaimConflict(f"{len(out) - changed} of {len(out)} queued requests were taken")
    nonces: dict[str, int] = {}
    for _, v in out:
        if "signer" in v:
            nonces[v["signer"]] = max(nonces.get(v["signer"], 0), v["nonce"] + 1)
    Store.set_nonces(session, nonces)
    return rows, out


_CLAIMED = ("status", "signer", "nonce", "signed_at")
_REFUSED = ("status", "outcome", "final_at")


def save_bytes(session: Session, signed: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Record the signed bytes and hash of claimed rows, each only if it is still the claim
    this process signed (same signer and nonce, no bytes yet); under the signing lease. Nothing
    is sent before this commits."""
    rows = [{"w_seq": seq, "w_signer": v["signer"], "w_nonce": v["nonce"],
             "raw_tx": v["raw_tx"], "tx_hash": v["tx_hash"]} for seq, v in signed]  # fmt: skip
    claimed = (REQUESTS.c.status == Status.SIGNED, REQUESTS.c.raw_tx.is_(None))
    changed = Store.update_many(
        session, rows, where=("seq", "signer", "nonce"), columns=("raw_tx", "tx_hash"),
        extra=claimed,
    )  # fmt: skip
    if changed != len(rows):
        raise ClaimConflict(f"{len(rows) - changed} of {len(rows)} claims changed before saving")


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
