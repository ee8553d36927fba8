"""Index the remembered withdrawals by time: the hourly purge deletes the old ones.

Revision ID: payment_0003
Revises: payment_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "payment_0003"
down_revision: str | None = "payment_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_withdrawn_orders_at", "withdrawn_orders", ["at"])


def downgrade() -> None:
    op.drop_index("ix_withdrawn_orders_at", table_name="withdrawn_orders")
