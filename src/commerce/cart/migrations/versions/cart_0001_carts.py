"""Create carts, checkouts, confirmed orders and the catalog view, with the outbox and inbox.

Revision ID: cart_0001
Revises:
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from commerce.kernel.messaging.migrations import create_messaging_tables, drop_messaging_tables

revision: str = "cart_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("cart_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "checkouts",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("cart_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("settled_at", TIMESTAMP, nullable=True),
    )
    op.create_index("ix_checkouts_created_at", "checkouts", ["created_at"])
    op.create_table(
        "confirmed_orders",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("confirmed_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_confirmed_orders_confirmed_at", "confirmed_orders", ["confirmed_at"])
    op.create_table(
        "catalog_view",
        sa.Column("product_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "view_reservations",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("product_id", sa.String(64), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("reserved_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_view_reservations_reserved_at", "view_reservations", ["reserved_at"])
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_index("ix_view_reservations_reserved_at", table_name="view_reservations")
    op.drop_table("view_reservations")
    op.drop_table("catalog_view")
    op.drop_index("ix_confirmed_orders_confirmed_at", table_name="confirmed_orders")
    op.drop_table("confirmed_orders")
    op.drop_index("ix_checkouts_created_at", table_name="checkouts")
    op.drop_table("checkouts")
    op.drop_table("carts")
