"""The order service's tables (SQLAlchemy Core); its Alembic history creates the same."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from commerce.kernel.admin.tables import operations_tables
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(64), nullable=True),
    # Derived from the lines; stored so that lists need not add them up.
    Column("total", BigInteger, nullable=True),
    # Idempotency-Key as sha256 hex: exact comparison whatever the collation, fixed width.
    Column("idempotency_key_hash", String(64), nullable=True),
    Column("request_fingerprint", String(64), nullable=True),
    # How the order is paid (ADR 0115): the method, the provider's card token (never a card
    # number), what the payment service last reported, and when the payment was first asked.
    Column("payment_method", String(16), nullable=False, server_default="invoice"),
    Column("payment_token", String(64), nullable=True),
    Column("payment_status", String(16), nullable=False, server_default="PENDING"),
    Column("payment_requested_at", UtcDateTime, nullable=True),
    # The shipment, once staff shipped the order.
    Column("shipment_carrier", String(100), nullable=True),
    Column("shipment_tracking_number", String(100), nullable=True),
    Column("shipped_at", UtcDateTime, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    # The answer still awaited (RESERVATION, PAYMENT, RELEASE) and when it was last asked for.
    Column("awaiting", String(16), nullable=True),
    Column("last_published_at", UtcDateTime, nullable=False),
    Column("publish_count", Integer, nullable=False),
    # Optimistic concurrency: every update checks and bumps it.
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # NULL keys never collide (SQLite and MariaDB alike): orders without a key are unconstrained.
    UniqueConstraint("user_id", "idempotency_key_hash", name="uq_orders_user_idempotency_key"),
    Index("ix_orders_user_created", "user_id", "created_at", "id"),
    Index("ix_orders_awaiting_published", "awaiting", "last_published_at"),
    # Every customer's orders, newest first (STAFF's scope=all).
    Index("ix_orders_created", "created_at", "id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(36), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=True),
)

# Units each user's orders that are not final hold together (ADR 0063): a running sum kept in
# the transactions that change those orders, so the cap is one conditional UPDATE.
held_units = Table(
    "held_units",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("units", Integer, nullable=False),
)

# Order events leave through the outbox; processed catalog events are kept in the inbox.
outbox = outbox_table(metadata)
# Parked messages and what operators did about them (the kernel's admin API, ADR 0048).
dead_letters, admin_audit = operations_tables(metadata)
inbox = inbox_table(metadata)
