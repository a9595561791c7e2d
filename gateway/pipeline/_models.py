"""The gateway's tables: API keys, requests (the durable pipeline), signer nonces.

Their schema in a database is made by the migrations in gateway/migrations (``_migrate``).

A request row is the whole life of one write: what was asked (operation, payload, the encoded
call), which signer and nonce carry it, the signed bytes (kept so a lost transaction is re-sent
byte for byte), and how it ended (block, events, or the decoded custom error).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["ApiKey", "ApiKeyPublic", "Request", "RequestPublic", "SignerState", "Status", "utcnow"]


#: 64-bit on PostgreSQL (migration 0002); SQLite's INTEGER PRIMARY KEY is 64-bit already and
#: must stay spelt INTEGER to remain the autoincrementing rowid.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Status(StrEnum):
    """queued → signed → submitted → confirmed | rejected (final)."""

    QUEUED = "queued"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


FINAL = (Status.CONFIRMED, Status.REJECTED)
IN_FLIGHT = (Status.SIGNED, Status.SUBMITTED)


class ApiKeyBase(SQLModel):
    label: str = Field(max_length=64)
    party_id: int
    scope: str = Field(max_length=8)  # "write" or "read"


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "gw_api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 hex; key never stored
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class ApiKeyPublic(ApiKeyBase):
    id: int
    created_at: datetime
    revoked_at: datetime | None


class RequestBase(SQLModel):
    id: str = Field(max_length=40, unique=True, index=True)
    party_id: int
    unit_id: int  # the acting unit; 0 for party-level operations
    operation: str = Field(max_length=40)
    status: str = Field(default=Status.QUEUED, max_length=12)
    idempotency_key: str | None = Field(default=None, max_length=200)
    tx_hash: str | None = Field(default=None, max_length=66, index=True)
    signer: str | None = Field(default=None, max_length=42)
    nonce: int | None = Field(default=None, sa_type=BigInteger)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    block_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    signed_at: datetime | None = None
    submitted_at: datetime | None = None
    final_at: datetime | None = None


class Request(RequestBase, table=True):
    __tablename__ = "gw_request"
    __table_args__ = (
        UniqueConstraint("party_id", "idempotency_key", name="uq_gw_request_idempotency"),
        Index("ix_gw_request_status_seq", "status", "seq"),
        Index("ix_gw_request_signer_nonce", "signer", "nonce"),
        Index("ix_gw_request_party_seq", "party_id", "seq"),
    )

    seq: int | None = Field(default=None, primary_key=True, sa_type=_SEQ)
    api_key_id: int
    body_hash: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    to_address: str = Field(max_length=42)
    call_data: str  # 0x-hex calldata
    raw_tx: str | None = None  # 0x-hex signed bytes, persisted before they are sent
    sent_at: datetime | None = None  # last (re)broadcast
    attempts: int = 0
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class RequestPublic(RequestBase):
    payload: dict[str, Any]
    outcome: dict[str, Any] | None


class SignerState(SQLModel, table=True):
    """The next nonce of each signing address: allocated in the same commit as the signed tx."""

    __tablename__ = "gw_signer"

    address: str = Field(primary_key=True, max_length=42)
    next_nonce: int = Field(default=0, sa_type=BigInteger)
