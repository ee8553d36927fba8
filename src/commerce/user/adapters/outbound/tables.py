"""The user service's tables (SQLAlchemy Core; the domain stays free of the ORM)."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, UniqueConstraint

from commerce.kernel.admin.tables import operations_tables
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.outbox import outbox_table

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    # Always stored normalised (trimmed, lower-case), so this constraint is what makes
    # e-mails unique case-insensitively, also under concurrent sign-ups.
    Column("email", String(320), nullable=False),
    Column("name", String(100), nullable=True),
    Column("password_hash", String(255), nullable=False),
    # Comma-separated role names, e.g. "USER" or "USER,ADMIN".
    Column("roles", String(255), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("email", name="uq_users_email"),
)

# UserRegistered and any later event leave through this table (migration user_0002).
outbox = outbox_table(metadata)
# Parked messages and what operators did about them (the kernel's admin API, ADR 0048).
dead_letters, admin_audit = operations_tables(metadata)
