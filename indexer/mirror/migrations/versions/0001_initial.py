"""The mirror as the indexer first created it (create_all): every amount a signed 64-bit integer.

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


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_key_hash", "api_key", ["key_hash"], unique=True)
    op.create_table(
        "balance",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("class_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("vintage", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("batch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "class_id", "vintage", "batch"),
    )
    op.create_table(
        "block",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("parent_hash", sa.String(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "boundary",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder_party_id", sa.Integer(), nullable=False),
        sa.Column("certifier_party_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("audited_volume", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "certificate_scope",
        sa.Column("certificate_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("certificate_id", "kind", "ref_id"),
    )
    op.create_table(
        "claim",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("claim_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary", sa.String(), nullable=False),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_claim_claim_id"), "claim", ["claim_id"], unique=False)
    op.create_index(op.f("ix_claim_unit_id"), "claim", ["unit_id"], unique=False)
    op.create_table(
        "conversion",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("conversion_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("factor_version", sa.Integer(), nullable=False),
        sa.Column("yield_bps", sa.Integer(), nullable=False),
        sa.Column("input_class_id", sa.Integer(), nullable=False),
        sa.Column("input_amount", sa.BigInteger(), nullable=False),
        sa.Column("output_class_id", sa.Integer(), nullable=False),
        sa.Column("output_vintage", sa.Integer(), nullable=False),
        sa.Column("output_batch", sa.Integer(), nullable=False),
        sa.Column("output_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(
        op.f("ix_conversion_conversion_id"), "conversion", ["conversion_id"], unique=False
    )
    op.create_index(op.f("ix_conversion_unit_id"), "conversion", ["unit_id"], unique=False)
    op.create_table(
        "credit_class",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("characteristic", sa.String(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("product_group_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.Integer(), nullable=False),
        sa.Column("attribution", sa.Integer(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("window_periods", sa.Integer(), nullable=False),
        sa.Column("cap_at_stock", sa.Boolean(), nullable=False),
        sa.Column("raw_material", sa.Integer(), nullable=False),
        sa.Column("waste", sa.Boolean(), nullable=False),
        sa.Column("sustainable_factor", sa.Integer(), nullable=False),
        sa.Column("conventional_factor", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger", sa.String(), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "event",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("contract", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_event_name", "event", ["name"], unique=False)
    op.create_table(
        "factor",
        sa.Column("process_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("yield_bps", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.BigInteger(), nullable=False),
        sa.Column("evidence_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "version"),
    )
    op.create_table(
        "input_record",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("input_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("evidence_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_input_record_input_id"), "input_record", ["input_id"], unique=False)
    op.create_index(op.f("ix_input_record_unit_id"), "input_record", ["unit_id"], unique=False)
    op.create_table(
        "lapse",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_lapse_unit_id"), "lapse", ["unit_id"], unique=False)
    op.create_table(
        "movement",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter_unit_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", "seq"),
    )
    op.create_index(
        "ix_movement_unit_class", "movement", ["unit_id", "class_id", "timestamp"], unique=False
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("identifier", sa.String(), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "period_close",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("book_stock", sa.BigInteger(), nullable=False),
        sa.Column("physical_stock", sa.BigInteger(), nullable=False),
        sa.Column("lapsed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_period_close_unit_id"), "period_close", ["unit_id"], unique=False)
    op.create_table(
        "process",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("input_class_id", sa.Integer(), nullable=False),
        sa.Column("output_class_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "product_group",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("max_share_bps", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "quantity_record",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("product_group_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("document_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(
        op.f("ix_quantity_record_unit_id"), "quantity_record", ["unit_id"], unique=False
    )
    op.create_table(
        "scheme",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("max_period_months", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "shipment",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("product_group_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("document_hash", sa.String(), nullable=False),
        sa.Column("order_ref", sa.String(), nullable=False),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_shipment_from_unit_id"), "shipment", ["from_unit_id"], unique=False)
    op.create_index(op.f("ix_shipment_shipment_id"), "shipment", ["shipment_id"], unique=False)
    op.create_index(op.f("ix_shipment_to_unit_id"), "shipment", ["to_unit_id"], unique=False)
    op.create_table(
        "signer",
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "transfer",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("trade_ref", sa.String(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index(op.f("ix_transfer_from_unit_id"), "transfer", ["from_unit_id"], unique=False)
    op.create_index(op.f("ix_transfer_to_unit_id"), "transfer", ["to_unit_id"], unique=False)
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("boundary_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_unit_party_id"), "unit", ["party_id"], unique=False)
