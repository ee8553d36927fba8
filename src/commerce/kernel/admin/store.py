"""The dead letters and the audit in SQL: reads for the console, and each action's change
written with its audit row in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.admin.records import Actor, AuditEntry, DeadLetter, OutboxBacklog
from commerce.kernel.admin.tables import DETAIL_LENGTH
from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.columns import db_now
from commerce.kernel.messaging.dead_letter_records import ERROR_MESSAGE_LENGTH, DeadLetterStatus


def _dead_letter(row: Any) -> DeadLetter:
    try:
        headers = json.loads(row.headers)
    except ValueError:
        headers = {}
    return DeadLetter(
        id=row.id,
        consumer_group=row.consumer_group,
        topic=row.topic,
        partition=row.kafka_partition,
        offset=row.kafka_offset,
        key=row.message_key,
        value=row.value,
        headers=headers if isinstance(headers, dict) else {},
        event_id=row.event_id,
        event_type=row.event_type,
        error_type=row.error_type,
        error_message=row.error_message,
        attempts=row.attempts,
        failed_at=row.failed_at,
        status=DeadLetterStatus(row.status),
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        reason=row.reason,
    )


def _audit_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        actor_id=row.actor_id,
        actor_email=row.actor_email,
        action=row.action,
        target=row.target,
        detail=row.detail,
        at=row.at,
    )


class SqlOperationsStore:
    def __init__(
        self,
        connections: Connections,
        dead_letters: Table,
        audit: Table,
        outbox: Table | None = None,
    ) -> None:
        self._connections = connections
        self._letters = dead_letters
        self._audit = audit
        self._outbox = outbox

    # -- reads -----------------------------------------------------------------------------

    async def get(self, letter_id: int) -> DeadLetter | None:
        async with self._connections() as session:
            return await self._get(session, letter_id)

    async def _get(self, session: AsyncConnection, letter_id: int) -> DeadLetter | None:
        result = await session.execute(select(self._letters).where(self._letters.c.id == letter_id))
        row = result.first()
        return None if row is None else _dead_letter(row)

    async def page(
        self, status: DeadLetterStatus | None, limit: int, before_id: int | None
    ) -> list[DeadLetter]:
        """Up to ``limit`` dead letters, newest first, after the cursor's ``before_id``."""
        table = self._letters
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(table.c.status == status.value)
        if before_id is not None:
            query = query.where(table.c.id < before_id)
        async with self._connections() as session:
            return [_dead_letter(row) for row in (await session.execute(query)).all()]

    async def open_ids(self, limit: int) -> list[int]:
        """The oldest open dead letters' ids: replayed in the order they were parked."""
        table = self._letters
        query = (
            select(table.c.id)
            .where(table.c.status == DeadLetterStatus.OPEN.value)
            .order_by(table.c.id)
            .limit(limit)
        )
        async with self._connections() as session:
            return [row.id for row in (await session.execute(query)).all()]

    async def open_count(self) -> int:
        table = self._letters
        query = select(func.count()).where(table.c.status == DeadLetterStatus.OPEN.value)
        async with self._connections() as session:
            return int((await session.execute(query)).scalar_one())

    async def audit_page(self, limit: int, before_id: int | None) -> list[AuditEntry]:
        table = self._audit
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(table.c.id < before_id)
        async with self._connections() as session:
            return [_audit_entry(row) for row in (await session.execute(query)).all()]

    async def outbox_backlog(self) -> OutboxBacklog | None:
        """Unpublished outbox rows and the age of the oldest (None: the service has none)."""
        if self._outbox is None:
            return None
        table = self._outbox
        query = select(func.count(), func.min(table.c.created_at)).where(
            table.c.published_at.is_(None)
        )
        async with self._connections() as session:
            count, oldest = (await session.execute(query)).one()
        age = None if oldest is None else max((db_now() - oldest).total_seconds(), 0.0)
        return OutboxBacklog(backlog=int(count), oldest_age_seconds=age)

    # -- changes, each with its audit row ---------------------------------------------------

    async def resolve(
        self,
        letter_id: int,
        status: DeadLetterStatus,
        actor: Actor,
        at: datetime,
        *,
        action: str,
        reason: str | None = None,
    ) -> DeadLetter | None:
        """Move an OPEN dead letter to ``status``; None when it was not OPEN (any more)."""
        table = self._letters
        async with self._connections.begin() as session:
            result = await session.execute(
                update(table)
                .where(table.c.id == letter_id, table.c.status == DeadLetterStatus.OPEN.value)
                .values(
                    status=status.value, resolved_by=actor.user_id, resolved_at=at, reason=reason
                )
            )
            if result.rowcount != 1:
                return None
            await self._append(
                session, actor, action, f"dead-letter:{letter_id}", reason or status.value, at
            )
            return await self._get(session, letter_id)

    async def replay_failed(
        self, letter_id: int, actor: Actor, at: datetime, error: BaseException
    ) -> None:
        """Count the failed replay on the (still OPEN) dead letter, with its error."""
        table = self._letters
        error_type = type(error).__name__[:100]
        message = str(error)[:ERROR_MESSAGE_LENGTH]
        async with self._connections.begin() as session:
            await session.execute(
                update(table)
                .where(table.c.id == letter_id)
                .values(
                    attempts=table.c.attempts + 1,
                    error_type=error_type,
                    error_message=message,
                )
            )
            await self._append(
                session,
                actor,
                "replay",
                f"dead-letter:{letter_id}",
                f"failed: {error_type}: {message}",
                at,
            )

    async def append_audit(
        self, actor: Actor, action: str, target: str, detail: str, at: datetime
    ) -> None:
        async with self._connections.begin() as session:
            await self._append(session, actor, action, target, detail, at)

    async def _append(
        self,
        session: AsyncConnection,
        actor: Actor,
        action: str,
        target: str,
        detail: str,
        at: datetime,
    ) -> None:
        await session.execute(
            insert(self._audit),
            {
                "actor_id": actor.user_id,
                "actor_email": actor.email,
                "action": action,
                "target": target,
                "detail": detail[:DETAIL_LENGTH],
                "at": at.astimezone(UTC),
            },
        )
