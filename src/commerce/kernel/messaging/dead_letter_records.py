"""Dead letters kept by the service that parked them, where an operator can act on them.

Besides ``<topic>.dlq`` (for tools outside the service), the consumer records every message it
parks in the service's own ``dead_letters`` table, in a transaction of its own (docs/adr/0048).
The row is keyed by where the message was read (group, topic, partition, offset): a message
redelivered after a failed park is recorded once.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import SchemaItem

from commerce.kernel.db.connections import Connections
from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.messaging.columns import BigId, LongText
from commerce.kernel.messaging.dead_letters import IncomingMessage

DEAD_LETTERS_TABLE = "dead_letters"
ERROR_MESSAGE_LENGTH = 1000


class DeadLetterStatus(StrEnum):
    OPEN = "OPEN"
    REPLAYED = "REPLAYED"
    DISCARDED = "DISCARDED"


def dead_letter_columns() -> list[SchemaItem]:
    """Schema version 1 of the dead letters (what the services' migrations create)."""
    return [
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("consumer_group", String(100), nullable=False),
        Column("topic", String(255), nullable=False),
        # Not "partition"/"offset": reserved words in MySQL.
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("message_key", LongText, nullable=True),
        Column("value", LongText, nullable=False),
        Column("headers", LongText, nullable=False),
        Column("event_id", String(64), nullable=True),
        Column("event_type", String(100), nullable=True),
        Column("error_type", String(100), nullable=False),
        Column("error_message", String(ERROR_MESSAGE_LENGTH), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("failed_at", UtcDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("resolved_by", String(64), nullable=True),
        Column("resolved_at", UtcDateTime, nullable=True),
        Column("reason", String(500), nullable=True),
        UniqueConstraint(
            "consumer_group",
            "topic",
            "kafka_partition",
            "kafka_offset",
            name=f"uq_{DEAD_LETTERS_TABLE}_message",
        ),
    ]


def dead_letter_indexes() -> dict[str, list[str]]:
    """Index name -> columns: the console lists by status, newest first."""
    return {f"ix_{DEAD_LETTERS_TABLE}_status": ["status", "id"]}


def dead_letters_table(metadata: MetaData) -> Table:
    return Table(
        DEAD_LETTERS_TABLE,
        metadata,
        *dead_letter_columns(),
        *(Index(name, *columns) for name, columns in dead_letter_indexes().items()),
    )


class DeadLetterSink(Protocol):
    """Where the consumer records a message it parks; raising means "not parked"."""

    async def record(
        self,
        message: IncomingMessage,
        *,
        group_id: str,
        error: BaseException,
        attempts: int,
        failed_at: datetime,
    ) -> None: ...


def _event_identity(value: bytes | None) -> tuple[str | None, str | None]:
    """The envelope's id and type, when the value is one (else nothing: it still is kept)."""
    try:
        document = json.loads(value or b"")
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    event_id, event_type = document.get("id"), document.get("type")
    return (
        event_id[:64] if isinstance(event_id, str) else None,
        event_type[:100] if isinstance(event_type, str) else None,
    )


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


class SqlDeadLetterRecorder:
    """Inserts the parked message in a transaction of its own."""

    def __init__(self, connections: Connections, table: Table) -> None:
        self._connections = connections
        self._table = table

    async def record(
        self,
        message: IncomingMessage,
        *,
        group_id: str,
        error: BaseException,
        attempts: int,
        failed_at: datetime,
    ) -> None:
        event_id, event_type = _event_identity(message.value)
        row = {
            "consumer_group": group_id,
            "topic": message.topic,
            "kafka_partition": message.partition,
            "kafka_offset": message.offset,
            "message_key": _text(message.key),
            "value": _text(message.value) or "",
            "headers": json.dumps(message.text_headers()),
            "event_id": event_id,
            "event_type": event_type,
            "error_type": type(error).__name__[:100],
            "error_message": str(error)[:ERROR_MESSAGE_LENGTH],
            "attempts": attempts,
            "failed_at": failed_at,
            "status": DeadLetterStatus.OPEN.value,
        }
        try:
            async with self._connections.begin() as session:
                await session.execute(insert(self._table), row)
        except IntegrityError:
            # Recorded by an earlier delivery whose publish to the DLQ failed: keep that one.
            return


async def purge_resolved_dead_letters(
    session: AsyncConnection, table: Table, *, older_than: datetime
) -> int:
    """Forget dead letters resolved before ``older_than``; open ones stay. Returns how many."""
    result = await session.execute(
        delete(table).where(
            table.c.status != DeadLetterStatus.OPEN.value, table.c.resolved_at < older_than
        )
    )
    return int(result.rowcount or 0)
