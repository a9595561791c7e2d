"""Each scheme's certified chain of custody (issue 13, ``contracts.Custody``): a ``custody``
column on ``scheme``, filled from the ``SchemeCustodySet`` events already in the archive.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    # A mirror made by create_all before migrations existed may have the column already.
    if "custody" not in {c["name"] for c in sa.inspect(conn).get_columns("scheme")}:
        with op.batch_alter_table("scheme") as batch:
            column = sa.Column("custody", sa.Integer(), nullable=False, server_default="0")
            batch.add_column(column)
    found = conn.execute(
        sa.text(
            "SELECT args FROM event WHERE name = 'SchemeCustodySet' AND contract != 'Ledger' "
            "ORDER BY block_number, log_index"
        )
    )
    for (args,) in found:
        a = json.loads(args) if isinstance(args, str) else args
        conn.execute(
            sa.text("UPDATE scheme SET custody = :custody WHERE id = :id"),
            {"custody": int(a["custody"]), "id": int(a["schemeId"])},
        )


def downgrade() -> None:
    with op.batch_alter_table("scheme") as batch:
        batch.drop_column("custody")
