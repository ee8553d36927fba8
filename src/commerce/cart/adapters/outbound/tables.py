"""The cart service's tables (SQLAlchemy Core); its Alembic history creates the same."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from commerce.kernel.admin.tables import operations_tables
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table

metadata = MetaData()

# The SQL cart store (used when no Redis is configured): one row per cart, its lines as JSON.
carts = Table(
    "carts",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("cart_id", String(36), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("lines", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
)

# What each order placed from a cart ordered, until its confirmation dropped those lines.
checkouts = Table(
    "checkouts",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("cart_id", String(36), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("lines", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    Index("ix_checkouts_created_at", "created_at"),
)

# Orders confirmed lately, whichever placed them: for a checkout recorded after its
# order's confirmation went by (docs/adr/0122); purged after a day.
confirmed_orders = Table(
    "confirmed_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("confirmed_at", UtcDateTime, nullable=False),
    Index("ix_confirmed_orders_confirmed_at", "confirmed_at"),
)

# The catalog view (docs/adr/0121): always SQL, changed with the inbox in one transaction.
catalog_view = Table(
    "catalog_view",
    metadata,
    Column("product_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("stock", BigInteger, nullable=False),
)

# The units each order's reservation took from the view, given back by its release; kept
# after it, so that a repeated StockReserved (a re-drive) takes nothing twice.
view_reservations = Table(
    "view_reservations",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("product_id", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("released", Boolean, nullable=False),
    Column("reserved_at", UtcDateTime, nullable=False),
    Index("ix_view_reservations_reserved_at", "reserved_at"),
)

# The cart publishes nothing, but the kernel's messaging runs a relay over an outbox.
outbox = outbox_table(metadata)
# Parked messages and what operators did about them (the kernel's admin API, ADR 0048).
dead_letters, admin_audit = operations_tables(metadata)
inbox = inbox_table(metadata)
