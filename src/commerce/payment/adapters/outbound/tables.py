"""The payment service's tables (SQLAlchemy Core); its Alembic history creates the same."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from commerce.kernel.admin.tables import operations_tables
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    # One payment per order: the unique key is what makes a second authorization impossible.
    Column("order_id", String(64), nullable=False, unique=True),
    Column("user_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    Column("token", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=True),
    Column("provider_reference", String(128), nullable=True),
    Column("withdrawn", Boolean, nullable=False),
    # The provider step still owed, and when it is due (the worker's queue).
    Column("next_step", String(16), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("deadline", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_payments_step_due", "next_step", "next_attempt_at"),
)

payment_history = Table(
    "payment_history",
    metadata,
    Column(
        "payment_id", String(36), ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Orders cancelled or rejected before they asked for payment, kept for the inbox's retention
# (by `at`, hence its index; docs/adr/0111).
withdrawn_orders = Table(
    "withdrawn_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
)

# The simulated provider's own ledger: it stands for an external system and only shares the
# database for convenience (nothing of the payment service reads or writes it).
simulated_provider_ledger = Table(
    "simulated_provider_ledger",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("operation", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reference", String(128), nullable=True),
    # NULL while no call of this key was answered for good; then "approved" or "declined".
    Column("outcome", String(16), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

outbox = outbox_table(metadata)
# Parked messages and what operators did about them (the kernel's admin API, ADR 0048).
dead_letters, admin_audit = operations_tables(metadata)
inbox = inbox_table(metadata)
