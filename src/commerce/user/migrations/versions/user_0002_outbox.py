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


# Written out, not taken from the kernel at run time: a migration must keep creating what it
# created when it shipped. A later change to the kernel's outbox is a new migration here (the
# stairway test compares the result with the tables module and fails until there is one).
INDEXES = {
    f"ix_{OUTBOX_TABLE}_pending": ["published_at", "id"],  # the relay's scan
    f"ix_{OUTBOX_TABLE}_key": ["message_key", "id"],  # a key's earlier events go first
}


def upgrade() -> None:
    # Schema version 1 of the kernel's outbox; the user service consumes nothing, so no inbox.
    op.create_table(OUTBOX_TABLE, *outbox_columns())
    for index, columns in INDEXES.items():
        op.create_index(index, OUTBOX_TABLE, columns)


def downgrade() -> None:
    for index in INDEXES:
        op.drop_index(index, table_name=OUTBOX_TABLE)
    op.drop_table(OUTBOX_TABLE)
