"""Create refresh token families and refresh tokens.

Revision ID: auth_0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "auth_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment() -> sa.DateTime:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "auth_token_families",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("revoked_at", _moment(), nullable=True),
    )
    op.create_index("ix_auth_token_families_user_id", "auth_token_families", ["user_id"])
    op.create_table(
        "auth_refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "family_id",
            sa.String(36),
            sa.ForeignKey(
                "auth_token_families.id",
                name="fk_auth_refresh_tokens_family_id",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("issued_at", _moment(), nullable=False),
        sa.Column("expires_at", _moment(), nullable=False),
        sa.Column("used_at", _moment(), nullable=True),
    )
    op.create_index("ix_auth_refresh_tokens_family_id", "auth_refresh_tokens", ["family_id"])
    op.create_index("ix_auth_refresh_tokens_expires_at", "auth_refresh_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("auth_refresh_tokens")
    op.drop_table("auth_token_families")
