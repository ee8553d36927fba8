"""The transactional outbox: events are rows written with the state change that caused them.

A use case calls :func:`add_to_outbox` inside its unit of work, so the event exists if and only
if the change was committed. :class:`~commerce.kernel.messaging.relay.OutboxRelay` publishes the
rows afterwards. The current W3C trace context goes with the row, so the consumer's work joins
the trace of the request that caused it.
"""

from __future__ import annotations

import json

from opentelemetry import propagate
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.contracts.envelope import EventEnvelope
from commerce.kernel.messaging.columns import BigId, LongText, Timestamp, db_now

OUTBOX_TABLE = "outbox"


def outbox_columns() -> list[Column]:  # type: ignore[type-arg]
    """Schema version 1 of the outbox (also what the services' first migrations create)."""
    return [
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("message_key", String(255), nullable=False),
        Column("payload", LongText, nullable=False),
        Column("headers", LongText, nullable=False),
        Column("created_at", Timestamp, nullable=False),
        # A relay owns the row until then (crash -> another relay takes it when it passes).
        Column("claimed_until", Timestamp, nullable=True),
        Column("published_at", Timestamp, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500), nullable=True),
    ]


def outbox_indexes(name: str = OUTBOX_TABLE) -> dict[str, list[str]]:
    """Index name -> columns: unpublished rows in order (the relay's scan) and a key's rows
    in order (its check that a key's earlier events went first)."""
    return {
        f"ix_{name}_pending": ["published_at", "id"],
        f"ix_{name}_key": ["message_key", "id"],
    }


def outbox_table(metadata: MetaData, name: str = OUTBOX_TABLE) -> Table:
    """Declare the outbox in a service's metadata (its tables module calls this once)."""
    return Table(
        name,
        metadata,
        *outbox_columns(),
        *(Index(index, *columns) for index, columns in outbox_indexes(name).items()),
    )


def trace_headers() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``, ``tracestate``), maybe empty."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def outbox_row(*, topic: str, key: str, envelope: EventEnvelope) -> dict[str, object]:
    """The outbox row of ``envelope``, stamped now and with the current trace context."""
    return {
        "event_id": envelope.id,
        "event_type": envelope.type,
        "topic": topic,
        "message_key": key,
        "payload": envelope.to_json().decode(),
        "headers": json.dumps(trace_headers()),
        "created_at": db_now(),
        "attempts": 0,
    }


async def add_to_outbox(
    session: AsyncConnection, table: Table, *, topic: str, key: str, envelope: EventEnvelope
) -> None:
    """Queue ``envelope`` for ``topic`` under ``key`` in the caller's transaction.

    Nothing is published here: the row becomes visible to the relay when the caller's unit of
    work commits, and vanishes with it on rollback.
    """
    # Values as parameters of one cached statement: values() would make each insert a new
    # statement to coerce, key and compile (a tenth of the order service's CPU, py-spy).
    await session.execute(insert(table), outbox_row(topic=topic, key=key, envelope=envelope))
