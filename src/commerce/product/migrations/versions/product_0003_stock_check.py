"""Refuse negative stock in the database itself.

The reservation already locks rows and updates conditionally; the check is the last guard
against any future code path that would write a negative stock.

Revision ID: product_0003
Revises: product_0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "product_0003"
down_revision: str | None = "product_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite can add a constraint only by rebuilding the table.
    with op.batch_alter_table("products") as batch:
        batch.create_check_constraint("ck_products_stock_not_negative", "stock >= 0")


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint("ck_products_stock_not_negative", type_="check")
