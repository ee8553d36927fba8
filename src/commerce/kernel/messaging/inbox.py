"""The inbox: ids of the events a consumer has applied, written with the effect itself.

Kafka (and the relay) deliver at least once, so the same event can arrive twice. A handler calls
:func:`first_delivery` first, in the same unit of work as its effect; the primary key
(consumer, event_id) lets only one transaction ever record an event, so a redelivery, even one
running concurrently with the first delivery, applies nothing.

In a batch's shared transaction the rows are gathered (``SharedTransaction.rows_for``) and
inserted in one statement just before the batch commits: the primary key still lets only one
transaction holding an event id commit, and a duplicate undoes the batch, whose messages
then go one by one through :func:`first_delivery` (docs/adr/0043).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.messaging.columns import Timestamp, db_now

INBOX_TABLE = "inbox"


def inbox_columns() -> list[Column]:  # type: ignore[type-arg]
    """Schema version 1 of the inbox (also what the services' first migrations create)."""
    return [
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", Timestamp, nullable=False),
    ]


def inbox_table(metadata: MetaData, name: str = INBOX_TABLE) -> Table:
    """Declare the inbox in a service's metadata (its tables module calls this once)."""
    return Table(name, metadata, *inbox_columns(), Index(f"ix_{name}_processed_at", "processed_at"))


async def first_delivery(
    session: AsyncConnection, table: Table, *, consumer: str, event_id: str
) -> bool:
    """Record ``event_id`` as processed by ``consumer`` in the caller's transaction.

    True: this is the first delivery, go on and apply the effect, then commit. False: the event
    was already applied (or is being applied by a transaction that has since committed); do
    nothing and return. The caller's transaction must not be used for further writes then.
    """
    try:
        await session.execute(insert(table), inbox_row(consumer=consumer, event_id=event_id))
    except IntegrityError:
        # The primary key says someone recorded it first. MySQL/MariaDB make a concurrent
        # insert wait for the first transaction, so this is only reached once that committed.
        return False
    return True


def inbox_row(*, consumer: str, event_id: str) -> dict[str, object]:
    """The inbox row saying ``consumer`` processed ``event_id`` now."""
    return {"consumer": consumer, "event_id": event_id, "processed_at": db_now()}


async def purge_inbox(session: AsyncConnection, table: Table, *, older_than: datetime) -> int:
    """Forget events processed before ``older_than`` (naive UTC); returns how many."""
    result = await session.execute(delete(table).where(table.c.processed_at < older_than))
    return int(result.rowcount or 0)
