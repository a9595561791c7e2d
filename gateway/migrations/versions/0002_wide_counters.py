"""Request cursors, nonces and block numbers are 64-bit on PostgreSQL too (SQLite's INTEGER
always was); a party's request list is read through an index on (party_id, seq).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("seq", "nonce", "block_number"):
            op.alter_column("gw_request", column, type_=sa.BigInteger())
        op.execute("ALTER SEQUENCE IF EXISTS gw_request_seq_seq AS BIGINT")
        op.alter_column("gw_signer", "next_nonce", type_=sa.BigInteger())
    op.create_index("ix_gw_request_party_seq", "gw_request", ["party_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_gw_request_party_seq", table_name="gw_request")
