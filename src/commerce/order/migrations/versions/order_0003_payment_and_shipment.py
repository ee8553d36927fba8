"""Payment and shipment of an order (contract v1.1): method, token, status, shipment columns,
and an index for STAFF's list of every order.

Statuses (SHIPPED, DELIVERED) and the awaited PAYMENT fit the existing string columns.

Revision ID: order_0003
Revises: order_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "order_0003"
down_revision: str | None = "order_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
NEW_COLUMNS = (
    "payment_method",
    "payment_token",
    "payment_status",
    "payment_requested_at",
    "shipment_carrier",
    "shipment_tracking_number",
    "shipped_at",
    "delivered_at",
)


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (a batch copy on SQLite would drop and re-create
    # ``orders``, which its lines reference). Orders placed before v1.1 are invoice orders:
    # the only method v1 had.
    columns = (
        sa.Column("payment_method", sa.String(16), nullable=False, server_default="invoice"),
        sa.Column("payment_token", sa.String(64), nullable=True),
        sa.Column("payment_status", sa.String(16), nullable=False, server_default="PENDING"),
        sa.Column("payment_requested_at", TIMESTAMP, nullable=True),
        sa.Column("shipment_carrier", sa.String(100), nullable=True),
        sa.Column("shipment_tracking_number", sa.String(100), nullable=True),
        sa.Column("shipped_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
    )
    assert tuple(column.name for column in columns) == NEW_COLUMNS
    for column in columns:
        op.add_column("orders", column)
    # A v1 order was confirmed without a payment service: as an invoice, always authorized
    # (written out here: a migration must do tomorrow what it did today).
    orders = sa.table("orders", sa.column("status"), sa.column("payment_status"))
    op.execute(
        orders.update().where(orders.c.status == "CONFIRMED").values(payment_status="AUTHORIZED")
    )
    op.create_index("ix_orders_created", "orders", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_created", table_name="orders")
    # SQLite drops a column in place since 3.35, as MariaDB does.
    for name in reversed(NEW_COLUMNS):
        op.drop_column("orders", name)
