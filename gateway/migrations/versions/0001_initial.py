"""The request store as the gateway first created it: API keys, requests, signer nonces.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gw_api_key",
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
    )
    op.create_index("ix_gw_api_key_key_hash", "gw_api_key", ["key_hash"], unique=True)
    op.create_table(
        "gw_request",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("signer", sa.String(42), nullable=True),
        sa.Column("nonce", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("signed_at", _TS, nullable=True),
        sa.Column("submitted_at", _TS, nullable=True),
        sa.Column("final_at", _TS, nullable=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("to_address", sa.String(42), nullable=False),
        sa.Column("call_data", sa.String(), nullable=False),
        sa.Column("raw_tx", sa.String(), nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.UniqueConstraint("party_id", "idempotency_key", name="uq_gw_request_idempotency"),
    )
    op.create_index("ix_gw_request_tx_hash", "gw_request", ["tx_hash"])
    op.create_index("ix_gw_request_status_seq", "gw_request", ["status", "seq"])
    op.create_index("ix_gw_request_signer_nonce", "gw_request", ["signer", "nonce"])
    op.create_index("ix_gw_request_id", "gw_request", ["id"], unique=True)
    op.create_table(
        "gw_signer",
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("next_nonce", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gw_signer")
    op.drop_table("gw_request")
    op.drop_table("gw_api_key")
