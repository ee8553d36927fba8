"""Create the products table, with the outbox and the inbox.

Revision ID: product_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from commerce.kernel.messaging.inbox import INBOX_TABLE, inbox_columns
from commerce.kernel.messaging.outbox import OUTBOX_TABLE, outbox_columns

revision: str = "product_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Schema version 1 of the kernel's outbox and inbox. The indexes are written out rather than
# taken from the kernel at run time: a shipped migration must keep creating what it created.
# A later kernel change is a new migration here (the stairway test fails until there is one).
INDEXES = {
    OUTBOX_TABLE: {
        f"ix_{OUTBOX_TABLE}_pending": ["published_at", "id"],  # the relay's scan
        f"ix_{OUTBOX_TABLE}_key": ["message_key", "id"],  # a key's earlier events go first
    },
    INBOX_TABLE: {f"ix_{INBOX_TABLE}_processed_at": ["processed_at"]},  # purging old ids
}


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("search_name", sa.String(600), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("seller_id", "sku", name="uq_products_seller_sku"),
    )
    op.create_index("ix_products_created_at_id", "products", ["created_at", "id"])
    op.create_table(OUTBOX_TABLE, *outbox_columns())
    op.create_table(INBOX_TABLE, *inbox_columns())
    for table, indexes in INDEXES.items():
        for index, columns in indexes.items():
            op.create_index(index, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
    op.drop_index("ix_products_created_at_id", table_name="products")
    op.drop_table("products")
