"""Keep parked messages and the operators' actions: the kernel's dead letters and admin audit.

Revision ID: payment_0002
Revises: payment_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from commerce.kernel.admin.tables import create_operations_tables, drop_operations_tables

revision: str = "payment_0002"
down_revision: str | None = "payment_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_operations_tables(op)


def downgrade() -> None:
    drop_operations_tables(op)
