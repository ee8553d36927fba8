"""The product service's tables (SQLAlchemy Core). Alembic compares its history with these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from commerce.kernel.admin.tables import operations_tables
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table
from commerce.product.domain.reservation import MAX_ORDER_ID_LENGTH

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seller_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    # casefold()ed name (may grow up to 3x): case-insensitive search alike on SQLite and MariaDB.
    Column("search_name", String(600), nullable=False),
    Column("description", Text, nullable=False),
    Column("price", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("sku", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("seller_id", "sku", name="uq_products_seller_sku"),
    # The last guard: whatever the code does, the database never stores a negative stock.
    CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
    Index("ix_products_created_at_id", "created_at", "id"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_id", String(MAX_ORDER_ID_LENGTH), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("rejected_product_ids", JSON, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column(
        "order_id",
        String(MAX_ORDER_ID_LENGTH),
        ForeignKey("reservations.order_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # No foreign key to products: a reservation is history and must outlive any catalog edit.
    Column("product_id", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Integer, nullable=False),
)

# Integration events leave through the outbox; processed order events are kept in the inbox.
outbox = outbox_table(metadata)
# Parked messages and what operators did about them (the kernel's admin API, ADR 0048).
dead_letters, admin_audit = operations_tables(metadata)
inbox = inbox_table(metadata)
