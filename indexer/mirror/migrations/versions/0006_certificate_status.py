"""Certificate states as certification bodies state them (issue 20): ``status`` (valid,
suspended, withdrawn, terminated), ``status_since`` (its effective date) and ``status_reason``
replace ``revoked`` on ``certificate``; a revoked certificate becomes withdrawn.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    have = {c["name"] for c in sa.inspect(conn).get_columns("certificate")}
    with op.batch_alter_table("certificate") as batch:
        if "status" not in have:
            batch.add_column(
                sa.Column("status", sa.String(), nullable=False, server_default="valid")
            )
        if "status_since" not in have:
            batch.add_column(
                sa.Column("status_since", sa.BigInteger(), nullable=False, server_default="0")
            )
        if "status_reason" not in have:
            batch.add_column(
                sa.Column("status_reason", sa.String(), nullable=False, server_default="")
            )
    if "revoked" in have:
        conn.execute(sa.text("UPDATE certificate SET status_since = valid_from"))
        conn.execute(sa.text("UPDATE certificate SET status = 'withdrawn' WHERE revoked"))
        with op.batch_alter_table("certificate") as batch:
            batch.drop_column("revoked")


def downgrade() -> None:
    with op.batch_alter_table("certificate") as batch:
        batch.add_column(sa.Column("revoked", sa.Boolean(), nullable=False, server_default="0"))
    op.get_bind().execute(sa.text("UPDATE certificate SET revoked = (status <> 'valid')"))
    with op.batch_alter_table("certificate") as batch:
        batch.drop_column("status_reason")
        batch.drop_column("status_since")
        batch.drop_column("status")
