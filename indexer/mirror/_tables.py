"""The mirror's registry and state tables (SQLModel).

Registry tables are a pure projection of the registry events (parties, units, catalog…): on a
reorg they are rebuilt from the event archive. ``balance`` is a projection of ``movement``;
``block`` and ``cursor`` carry the checkpoint and the unfinalised window. Times are UTC seconds;
quantities are grams in 64-bit integers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from tracenet.indexer.mirror._sqltypes import Amount

__all__ = [
    "ApiKey",
    "Balance",
    "Block",
    "Boundary",
    "Certificate",
    "CertificateScope",
    "CreditClass",
    "Cursor",
    "Factor",
    "Party",
    "Process",
    "ProductGroup",
    "Scheme",
    "SignerRow",
    "Unit",
]


def big(**kw: Any) -> Any:
    """A signed 64-bit integer column (uint32 values, block numbers, block times)."""
    return Field(sa_type=BigInteger, **kw)


def amount_field(**kw: Any) -> Any:
    """An integer of any size the ledger accepts (grams, uint64 dates): ``Amount``."""
    return Field(sa_type=Amount, **kw)


# ---- registry (rebuilt from the archive on a reorg) -------------------------------------------


class Party(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    identifier: str
    roles: int
    active: bool = True


class Boundary(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    party_id: int
    name: str


class Unit(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    party_id: int = Field(index=True)
    boundary_id: int
    account: str
    name: str
    location: str


class SignerRow(SQLModel, table=True):
    __tablename__ = "signer"
    address: str = Field(primary_key=True)
    party_id: int
    unit_id: int
    active: bool = True


class Certificate(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    holder_party_id: int
    certifier_party_id: int
    scheme_id: int
    number: str
    valid_from: int = amount_field()
    valid_until: int = amount_field()
    audited_volume: int = amount_field()
    # As its certification body states it (issue 20, contracts.CertificateStatus): valid,
    # suspended, withdrawn, terminated; "expired" is read from the window, never stored.
    status: str = "valid"
    status_since: int = amount_field()  # the status's effective date (valid_from until changed)
    status_reason: str = ""


class CertificateScope(SQLModel, table=True):
    __tablename__ = "certificate_scope"
    certificate_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(primary_key=True)  # "class" or "unit"
    ref_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class Scheme(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    max_period_months: int
    #: The certified chain of custody it requires, ``contracts.Custody`` (SchemeCustodySet).
    custody: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ProductGroup(SQLModel, table=True):
    __tablename__ = "product_group"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    max_share_bps: int


class CreditClass(SQLModel, table=True):
    __tablename__ = "credit_class"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    characteristic: str
    scheme_id: int
    product_group_id: int
    model: int  # 0 mass balance, 1 segregated, 2 book and claim
    attribution: int  # 0 credit method, 1 rolling average
    period_months: int
    window_periods: int
    cap_at_stock: bool
    raw_material: int
    waste: bool
    sustainable_factor: int = big()  # gCO2e per kg
    conventional_factor: int = big()  # gCO2e per kg


class Process(SQLModel, table=True):
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    unit_id: int
    input_class_id: int
    output_class_id: int
    name: str


class Factor(SQLModel, table=True):
    process_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    yield_bps: int
    effective_from: int = amount_field()
    evidence_hash: str


# ---- state ------------------------------------------------------------------------------------


class Balance(SQLModel, table=True):
    """Credits held per unit and token (class, vintage, batch): the sum of its movements."""

    unit_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    class_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    vintage: int = big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    batch: int = big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    amount: int = amount_field()


class Block(SQLModel, table=True):
    """A block of the unfinalised window, or a checkpoint: its hash detects reorgs."""

    number: int = big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str
    parent_hash: str
    timestamp: int = big()


class Cursor(SQLModel, table=True):
    """The checkpoint: everything up to and including ``block_number`` is in the mirror."""

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    chain_id: int = big()
    ledger: str  # the Ledger contract's address: a mirror follows one deployment
    start_block: int = big()
    block_number: int = big()
    block_hash: str
    addresses: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    # Why the follower stopped and cannot go on by itself (a reorg below the window…): the
    # error's code, name, block, message and when (unix seconds); NULL while it follows.
    stopped_code: str | None = None
    stopped_error: str | None = None
    stopped_block: int | None = big(default=None)
    stopped_message: str | None = None
    stopped_at: int | None = big(default=None)


class ApiKey(SQLModel, table=True):
    """A read key bound to a party; only its SHA-256 is stored."""

    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_hash", "key_hash", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    party_id: int
    key_hash: str
    label: str = ""
    created_at: int = big()
    revoked: bool = False
