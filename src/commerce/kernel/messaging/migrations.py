"""Alembic helpers: the outbox and inbox in a service's migration history.

A service's first migration calls ``create_messaging_tables(op)`` in ``upgrade()`` and
``drop_messaging_tables(op)`` in ``downgrade()``. These create schema version 1 of both tables;
a later change to them will be a new helper, never an edit of this one.
"""

from __future__ import annotations

from typing import Any

from commerce.kernel.messaging.inbox import INBOX_TABLE, inbox_columns
from commerce.kernel.messaging.outbox import OUTBOX_TABLE, outbox_columns, outbox_indexes


def create_messaging_tables(
    op: Any, *, outbox: str = OUTBOX_TABLE, inbox: str = INBOX_TABLE
) -> None:
    """Create the outbox and inbox tables (and their indexes) with ``op``."""
    op.create_table(outbox, *outbox_columns())
    for index, columns in outbox_indexes(outbox).items():
        op.create_index(index, outbox, columns)
    op.create_table(inbox, *inbox_columns())
    op.create_index(f"ix_{inbox}_processed_at", inbox, ["processed_at"])


def drop_messaging_tables(op: Any, *, outbox: str = OUTBOX_TABLE, inbox: str = INBOX_TABLE) -> None:
    op.drop_index(f"ix_{inbox}_processed_at", table_name=inbox)
    op.drop_table(inbox)
    for index in outbox_indexes(outbox):
        op.drop_index(index, table_name=outbox)
    op.drop_table(outbox)
