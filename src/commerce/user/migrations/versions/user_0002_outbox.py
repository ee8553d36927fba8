"""Create the outbox (UserRegistered leaves through it).

Revision ID: user_0002
Revises: user_0001
Create Date: 2025-01-02
"""

from collections.abc import Sequence

from alembic import op

from commerce.kernel.messaging.outbox import OUTBOX_TABLE, outbox_columns

revision: str = "user_0002"
down_revision: str | None = "user_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Schema version 1 of the kernel's outbox; the user service consumes nothing, so no inbox.
    op.create_table(OUTBOX_TABLE, *outbox_columns())
    op.create_index(f"ix_{OUTBOX_TABLE}_pending", OUTBOX_TABLE, ["published_at", "id"])


def downgrade() -> None:
    op.drop_index(f"ix_{OUTBOX_TABLE}_pending", table_name=OUTBOX_TABLE)
    op.drop_table(OUTBOX_TABLE)
