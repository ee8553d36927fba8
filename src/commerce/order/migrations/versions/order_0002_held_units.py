"""Create the units each user's orders that are not final hold, counted from the orders.

Revision ID: order_0002
Revises: order_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "order_0002"
down_revision: str | None = "order_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses that hold units at this revision (the domain's HOLDING_STATUSES then); written
# out here, since a migration must do tomorrow what it did today.
HOLDING = ("PENDING", "CONFIRMED")


def upgrade() -> None:
    held_units = op.create_table(
        "held_units",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("units", sa.Integer(), nullable=False),
    )
    # Orders placed before this revision hold their units too: the sums start from them, so a
    # deployed system starts consistent (ADR 0063).
    orders = sa.table("orders", sa.column("id"), sa.column("user_id"), sa.column("status"))
    lines = sa.table("order_lines", sa.column("order_id"), sa.column("quantity"))
    held = (
        sa.select(orders.c.user_id, sa.func.sum(lines.c.quantity))
        .join(lines, lines.c.order_id == orders.c.id)
        .where(orders.c.status.in_(HOLDING))
        .group_by(orders.c.user_id)
    )
    op.execute(sa.insert(held_units).from_select(["user_id", "units"], held))


def downgrade() -> None:
    op.drop_table("held_units")
