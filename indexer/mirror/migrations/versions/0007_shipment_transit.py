"""Shipments awaiting the recipient's acceptance (issue 19): a ``shipment_transit`` table, one row
per ``TransitOpened`` and ``TransitClosed``. A mirror made before issue 19 holds no such event
(the Transit contract did not exist), so there is nothing to fill.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "shipment_transit" in sa.inspect(op.get_bind()).get_table_names():
        return  # created by create_all with the current models
    op.create_table(
        "shipment_transit",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("settle", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_shipment_transit_shipment_id", "shipment_transit", ["shipment_id"])


def downgrade() -> None:
    op.drop_table("shipment_transit")
