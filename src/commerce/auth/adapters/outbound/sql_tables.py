"""The auth service's tables (SQLAlchemy Core; the domain never sees them)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, MetaData, String, Table, Text

from commerce.kernel.db.types import UtcDateTime

metadata = MetaData()


token_families = Table(
    "auth_token_families",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("email", String(320), nullable=False),
    Column("roles", Text, nullable=False),  # JSON list
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index("ix_auth_token_families_user_id", "user_id"),
)

refresh_tokens = Table(
    "auth_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # hex SHA-256 of the token
    Column(
        "family_id",
        String(36),
        ForeignKey("auth_token_families.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Index("ix_auth_refresh_tokens_family_id", "family_id"),
    Index("ix_auth_refresh_tokens_expires_at", "expires_at"),
)
