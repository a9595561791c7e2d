"""A statement adds up a unit's daily flows instead of every movement (issue 12): a
``daily_flow`` table (movements summed per unit, class, UTC day, kind, direction, vintage and
counter unit), filled from the ``movement`` rows already in the mirror.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_AMOUNT = sa.Numeric().with_variant(sa.String(), "sqlite")
_DAY = 86_400


def upgrade() -> None:
    conn = op.get_bind()
    if "daily_flow" in sa.inspect(conn).get_table_names():
        return  # created by create_all with the current models
    op.create_table(
        "daily_flow",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("class_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("inflow", sa.Boolean(), nullable=False),
        sa.Column("vintage", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("counter_unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", _AMOUNT, nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_id", "class_id", "day", "kind", "inflow", "vintage", "counter_unit_id"
        ),
    )
    flows: dict[tuple[int, int, int, str, bool, int, int], int] = defaultdict(int)
    found = conn.execute(
        sa.text(
            "SELECT unit_id, class_id, timestamp, kind, vintage, counter_unit_id, amount "
            "FROM movement"
        )
    )
    for unit, class_id, ts, kind, vintage, other, amount in found:
        n = int(amount)  # decimal text on SQLite, NUMERIC on PostgreSQL: exact either way
        flows[(unit, class_id, int(ts) // _DAY, kind, n > 0, vintage, other)] += n
    flow = sa.table(
        "daily_flow",
        *(
            sa.column(c)
            for c in ("unit_id", "class_id", "day", "kind", "inflow", "vintage", "counter_unit_id")
        ),
        sa.column("amount", _AMOUNT),
    )
    rows = [
        {"unit_id": u, "class_id": c, "day": d, "kind": k, "inflow": i, "vintage": v,
         "counter_unit_id": o, "amount": str(n) if conn.dialect.name == "sqlite" else n}
        for (u, c, d, k, i, v, o), n in flows.items()
    ]  # fmt: skip
    for start in range(0, len(rows), 5_000):
        conn.execute(sa.insert(flow), rows[start : start + 5_000])


def downgrade() -> None:
    op.drop_table("daily_flow")
