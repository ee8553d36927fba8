"""The database side of one relay round: claim a batch of outbox rows, then settle them.

The database decides who gets which row: ``SELECT ... FOR UPDATE SKIP LOCKED`` on
MySQL/MariaDB, a single ``UPDATE ... RETURNING`` on SQLite (one writer at a time), preceded
there by a plain read of one claimable id so that an idle poll never takes the writer lock.
A claim stamps ``claimed_until``; no transaction stays open while Kafka is slow.

A row is claimable only when no earlier row with the same key is still unpublished, so each
key's events reach Kafka in the order they were written, however many relays run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, exists, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.messaging.publisher import OutgoingMessage
from commerce.kernel.messaging.settings import MessagingSettings

RETRY_BASE_SECONDS = 0.2
RETRY_MAX_SECONDS = 10.0
CLAIMED_COLUMNS = ("id", "topic", "message_key", "payload", "headers", "attempts")


def retry_delay(attempts: int) -> float:
    """How long a row waits after its ``attempts``-th failed publication."""
    return backoff_seconds(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_MAX_SECONDS)


def outgoing(row: Row[Any]) -> OutgoingMessage:
    """The Kafka record of a claimed row."""
    try:
        headers = json.loads(row.headers) if row.headers else {}
    except ValueError:
        headers = {}  # trace headers are a nicety; never hold an event back for them
    if not isinstance(headers, dict):
        headers = {}
    return OutgoingMessage(
        topic=row.topic,
        key=row.message_key,
        value=row.payload.encode(),
        headers={str(k): str(v) for k, v in headers.items()},
    )


class OutboxClaims:
    """Claims and settles rows of one outbox table for a relay."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        settings: MessagingSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._settings = settings
        self._clock = clock

    def _claimable(self, candidate: Any, now: datetime) -> Any:
        earlier = self._table.alias("earlier")
        earlier_pending = exists().where(
            earlier.c.message_key == candidate.c.message_key,
            earlier.c.id < candidate.c.id,
            earlier.c.published_at.is_(None),
        )
        return and_(
            candidate.c.published_at.is_(None),
            or_(candidate.c.claimed_until.is_(None), candidate.c.claimed_until < now),
            ~earlier_pending,
        )

    async def claim(self) -> list[Row[Any]]:
        """Claim up to a batch of publishable rows (for ``outbox_claim_seconds``), by id."""
        table = self._table
        now = self._clock()
        until = now + timedelta(seconds=self._settings.outbox_claim_seconds)
        limit = self._settings.outbox_batch_size
        candidate = table.alias("candidate")
        if await self._nothing_to_claim_on_sqlite(candidate, now):
            return []
        async with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                # One statement takes SQLite's write lock before reading, so two relays can
                # never pick the same rows.
                ids = (
                    select(candidate.c.id)
                    .where(self._claimable(candidate, now))
                    .order_by(candidate.c.id)
                    .limit(limit)
                )
                claim = (
                    update(table)
                    .where(table.c.id.in_(ids.scalar_subquery()))
                    .values(claimed_until=until)
                    .returning(*(table.c[name] for name in CLAIMED_COLUMNS))
                )
                rows = list((await session.execute(claim)).all())
            else:
                # Rows another relay is claiming right now are locked: skip them, don't wait.
                statement = (
                    select(*(candidate.c[name] for name in CLAIMED_COLUMNS))
                    .where(self._claimable(candidate, now))
                    .order_by(candidate.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                rows = list((await session.execute(statement)).all())
                if rows:
                    await session.execute(
                        update(table)
                        .where(table.c.id.in_([row.id for row in rows]))
                        .values(claimed_until=until)
                    )
        return sorted(rows, key=lambda row: row.id)

    async def _nothing_to_claim_on_sqlite(self, candidate: Any, now: datetime) -> bool:
        """On SQLite, whether a plain read finds no claimable row (then skip the claim, whose
        UPDATE would queue for the writer lock behind every request's transaction)."""
        async with self._sessions() as session:
            if session.get_bind().dialect.name != "sqlite":
                return False
            first = select(candidate.c.id).where(self._claimable(candidate, now)).limit(1)
            return (await session.execute(first)).first() is None

    async def settle(
        self, rows: Sequence[Row[Any]], results: Sequence[BaseException | None]
    ) -> list[float]:
        """Mark acknowledged rows published (or delete them, without retention); give failed
        ones their error and a backoff. Returns the backoff of each failed row, in seconds."""
        table = self._table
        now = self._clock()
        acked = [row.id for row, result in zip(rows, results, strict=True) if result is None]
        failed = [(row, r) for row, r in zip(rows, results, strict=True) if r is not None]
        delays = []
        async with self._sessions() as session, session.begin():
            if acked and self._settings.outbox_retention_seconds == 0:
                await session.execute(delete(table).where(table.c.id.in_(acked)))
            elif acked:
                await session.execute(
                    update(table)
                    .where(table.c.id.in_(acked))
                    .values(published_at=now, claimed_until=None, attempts=table.c.attempts + 1)
                )
            for row, error in failed:
                attempts = row.attempts + 1
                delays.append(retry_delay(attempts))
                await session.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.published_at.is_(None))
                    .values(
                        attempts=attempts,
                        last_error=f"{type(error).__name__}: {error}"[:500],
                        claimed_until=now + timedelta(seconds=delays[-1]),
                    )
                )
        return delays
