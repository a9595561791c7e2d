"""Every amount the ledger accepts fits the mirror: grams and uint64 dates become NUMERIC on
PostgreSQL and exact decimal text on SQLite (read back as Python ints by
``indexer.mirror._sqltypes``); uint32 values (vintages, batches, periods, emission factors)
become 64-bit integers.

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

_AMOUNT = sa.Numeric().with_variant(sa.String(), "sqlite")

#: table → (columns that become amounts, uint32 columns that become BIGINT)
_CHANGES: dict[str, tuple[list[str], list[str]]] = {
    "balance": (["amount"], ["vintage", "batch"]),
    "certificate": (["valid_from", "valid_until", "audited_volume"], []),
    "claim": (["credits"], []),
    "conversion": (["input_amount", "output_amount"], ["output_vintage", "output_batch"]),
    "credit_class": ([], ["sustainable_factor", "conventional_factor"]),
    "factor": (["effective_from"], []),
    "input_record": (["amount"], ["vintage", "batch"]),
    "lapse": (["amount"], ["vintage", "batch", "period"]),
    "movement": (["amount"], ["vintage", "batch"]),
    "period_close": (["book_stock", "physical_stock", "lapsed"], ["period"]),
    "quantity_record": (["quantity"], []),
    "shipment": (["quantity", "credits"], []),
    "transfer": (["credits"], []),
}


def upgrade() -> None:
    for name, (amounts, wide) in _CHANGES.items():
        with op.batch_alter_table(name) as batch:
            for column in amounts:
                batch.alter_column(
                    column,
                    type_=_AMOUNT,
                    existing_type=sa.BigInteger(),
                    existing_nullable=False,
                    postgresql_using=f"{column}::numeric",
                )
            for column in wide:
                batch.alter_column(
                    column,
                    type_=sa.BigInteger(),
                    existing_type=sa.Integer(),
                    existing_nullable=False,
                )
