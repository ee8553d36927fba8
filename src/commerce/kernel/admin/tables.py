"""The kernel's operations tables in a service: its dead letters and the admin audit.

A service's tables module calls :func:`operations_tables` once; its migration calls
:func:`create_operations_tables` / :func:`drop_operations_tables` (schema version 1 of both:
a later change is a new helper, never an edit of these).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.sql.schema import SchemaItem

from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.columns import BigId
from commerce.kernel.messaging.dead_letter_records import (
    DEAD_LETTERS_TABLE,
    dead_letter_columns,
    dead_letter_indexes,
    dead_letters_table,
)

AUDIT_TABLE = "admin_audit"
DETAIL_LENGTH = 1000


def audit_columns() -> list[SchemaItem]:
    return [
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("actor_id", String(64), nullable=False),
        Column("actor_email", String(320), nullable=False),
        Column("action", String(32), nullable=False),
        Column("target", String(100), nullable=False),
        Column("detail", String(DETAIL_LENGTH), nullable=False),
        Column("at", UtcDateTime, nullable=False),
    ]


def operations_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare ``dead_letters`` and ``admin_audit`` in a service's metadata."""
    return dead_letters_table(metadata), Table(AUDIT_TABLE, metadata, *audit_columns())


def create_operations_tables(op: Any) -> None:
    op.create_table(DEAD_LETTERS_TABLE, *dead_letter_columns())
    for index, columns in dead_letter_indexes().items():
        op.create_index(index, DEAD_LETTERS_TABLE, columns)
    op.create_table(AUDIT_TABLE, *audit_columns())


def drop_operations_tables(op: Any) -> None:
    op.drop_table(AUDIT_TABLE)
    for index in dead_letter_indexes():
        op.drop_index(index, table_name=DEAD_LETTERS_TABLE)
    op.drop_table(DEAD_LETTERS_TABLE)
