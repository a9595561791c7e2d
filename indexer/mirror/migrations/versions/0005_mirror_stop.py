"""A stopped follower says so (issue 26): the ``cursor`` records the error that stopped it
(``stopped_code``, ``stopped_error``, ``stopped_block``, ``stopped_message``, ``stopped_at``;
NULL while nothing stopped it), so the read API, another process, can tell every caller.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("stopped_code", sa.String()),
    ("stopped_error", sa.String()),
    ("stopped_block", sa.BigInteger()),
    ("stopped_message", sa.String()),
    ("stopped_at", sa.BigInteger()),
)


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("cursor")}
    with op.batch_alter_table("cursor") as batch:
        for name, kind in _COLUMNS:
            if name not in have:  # created by create_all with the current models
                batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cursor") as batch:
        for name, _ in _COLUMNS:
            batch.drop_column(name)
