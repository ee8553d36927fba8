"""Keep parked messages and the operators' actions: the kernel's dead letters and admin audit.

Revision ID: product_0004
Revises: product_0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from commerce.kernel.admin.tables import create_operations_tables, drop_operations_tables

revision: str = "product_0004"
down_revision: str | None = "product_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_operations_tables(op)


def downgrade() -> None:
    drop_operations_tables(op)
