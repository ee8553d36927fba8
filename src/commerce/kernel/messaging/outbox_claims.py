"""The database side of one relay round: claim a batch of outbox rows, publish, settle them.

The database decides who gets which row. On MySQL/MariaDB one transaction locks the batch
(``SELECT ... FOR UPDATE SKIP LOCKED``: other relays pass over it), publishes it and marks it
published: a relay that dies meanwhile frees its rows with its connection (docs/adr/0041).
On SQLite (one writer at a time, which a transaction held across the publication would keep
from every request) a short transaction claims the batch with a single ``UPDATE ...
RETURNING`` that stamps ``claimed_until``, preceded by a plain read of one claimable id so
that an idle poll never takes the writer lock; a second one settles it after publishing.

A row is claimable only when no earlier row with the same key is still unpublished, so each
key's events reach Kafka in the order they were written, however many relays run.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.publisher import OutgoingMessage
from commerce.kernel.messaging.settings import MessagingSettings

RETRY_BASE_SECONDS = 0.2
RETRY_MAX_SECONDS = 10.0
CLAIMED_COLUMNS = ("id", "topic", "message_key", "payload", "headers", "attempts")


# Publishes a batch's rows; one result per row (None: acknowledged), never raises.
Publish = Callable[[Sequence[Row[Any]]], Awaitable[Sequence[BaseException | None]]]


@dataclass(frozen=True)
class Round:
    """What one round claimed, how each row's publication went, and the backoff (seconds)
    of each failed row."""

    rows: Sequence[Row[Any]]
    results: Sequence[BaseException | None]
    delays: Sequence[float]
    # Whether rows may be claimable right after this round: it was full, or a row it took
    # had a later unpublished row of its key, which only now may go. Unknown: assume so.
    more_waiting: bool = True


def retry_delay(attempts: int) -> float:
    """How long a row waits after its ``attempts``-th failed publication."""
    return backoff_seconds(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_MAX_SECONDS)


def _has_successor(table: Table, candidate: Any) -> Any:
    """Whether a later unpublished row of the candidate's key waits behind it."""
    later = table.alias("later")
    return exists().where(
        later.c.message_key == candidate.c.message_key,
        later.c.id > candidate.c.id,
        later.c.published_at.is_(None),
    )


def _claimable(table: Table, candidate: Any, now: Any) -> Any:
    """Unpublished, unclaimed (or claimed by a relay whose claim ran out), and the first
    unpublished row of its key."""
    earlier = table.alias("earlier")
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
    """Claims and settles rows of one outbox table for a relay.

    Its statements are built once, with the times and ids as parameters: a relay runs a
    round after every commit that queued events, and building them afresh cost each round
    their construction and cache key.
    """

    def __init__(
        self,
        connections: Connections,
        table: Table,
        settings: MessagingSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._connections = connections
        self._table = table
        self._settings = settings
        self._clock = clock
        stamp = table.c.claimed_until.type
        now, until = bindparam("b_now", type_=stamp), bindparam("b_until", type_=stamp)
        ids: BindParameter[int] = bindparam("b_ids", expanding=True)
        candidate = table.alias("candidate")
        claimable = _claimable(table, candidate, now)
        limit = settings.outbox_batch_size
        claimed = [candidate.c[name] for name in CLAIMED_COLUMNS]
        # MySQL/MariaDB: rows another relay is claiming right now are locked: skip them.
        self._lock_claimable: Select[Any] = (
            select(*claimed, _has_successor(table, candidate).label("has_successor"))
            .where(claimable)
            .order_by(candidate.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        self._stamp_claimed = update(table).where(table.c.id.in_(ids)).values(claimed_until=until)
        # SQLite: one statement takes the write lock before reading, so two relays can never
        # pick the same rows; a plain read first keeps idle polls off that lock.
        first_ids = select(candidate.c.id).where(claimable).order_by(candidate.c.id).limit(limit)
        self._claim_in_one = (
            update(table)
            .where(table.c.id.in_(first_ids.scalar_subquery()))
            .values(claimed_until=until)
            .returning(*(table.c[name] for name in CLAIMED_COLUMNS))
        )
        self._any_claimable = select(candidate.c.id).where(claimable).limit(1)
        self._delete_published = delete(table).where(table.c.id.in_(ids))
        self._mark_published = (
            update(table)
            .where(table.c.id.in_(ids))
            .values(published_at=now, claimed_until=None, attempts=table.c.attempts + 1)
        )

    async def run_round(self, publish: Publish) -> Round:
        """Claim up to a batch of publishable rows (by id), ``publish`` them, settle them."""
        if self._connections.dialect_name == "sqlite":
            rows = await self.claim()
            if not rows:
                return Round((), (), ())
            results = await publish(rows)
            return Round(rows, results, await self.settle(rows, results))
        async with self._connections() as session, session.begin():
            found = await session.execute(self._lock_claimable, {"b_now": self._clock()})
            rows = list(found.all())
            if not rows:
                return Round((), (), ())
            results = await publish(rows)
            more = len(rows) >= self._settings.outbox_batch_size or any(
                row.has_successor for row in rows
            )
            delays = await self._settle_in(session, rows, results)
            return Round(rows, results, delays, more_waiting=more)

    async def claim(self) -> list[Row[Any]]:
        """Claim up to a batch of publishable rows (for ``outbox_claim_seconds``), by id, in a
        transaction of their own (the SQLite way, and how a round can be split in tests)."""
        now = self._clock()
        until = now + timedelta(seconds=self._settings.outbox_claim_seconds)
        if await self._nothing_to_claim_on_sqlite(now):
            return []
        async with self._connections() as session, session.begin():
            if session.dialect.name == "sqlite":
                claim = self._claim_in_one
                found = await session.execute(claim, {"b_now": now, "b_until": until})
                rows = list(found.all())
            else:
                found = await session.execute(self._lock_claimable, {"b_now": now})
                rows = list(found.all())
                if rows:
                    ids = [row.id for row in rows]
                    await session.execute(self._stamp_claimed, {"b_ids": ids, "b_until": until})
        return sorted(rows, key=lambda row: row.id)

    async def _nothing_to_claim_on_sqlite(self, now: datetime) -> bool:
        """On SQLite, whether a plain read finds no claimable row (then skip the claim, whose
        UPDATE would queue for the writer lock behind every request's transaction)."""
        if self._connections.dialect_name != "sqlite":
            return False
        async with self._connections() as session:
            return (await session.execute(self._any_claimable, {"b_now": now})).first() is None

    async def settle(
        self, rows: Sequence[Row[Any]], results: Sequence[BaseException | None]
    ) -> list[float]:
        """Mark acknowledged rows published (or delete them, without retention); give failed
        ones their error and a backoff. Returns the backoff of each failed row, in seconds."""
        async with self._connections() as session, session.begin():
            return await self._settle_in(session, rows, results)

    async def _settle_in(
        self,
        session: AsyncConnection,
        rows: Sequence[Row[Any]],
        results: Sequence[BaseException | None],
    ) -> list[float]:
        table = self._table
        now = self._clock()
        acked = [row.id for row, result in zip(rows, results, strict=True) if result is None]
        failed = [(row, r) for row, r in zip(rows, results, strict=True) if r is not None]
        delays = []
        if acked and self._settings.outbox_retention_seconds == 0:
            await session.execute(self._delete_published, {"b_ids": acked})
        elif acked:
            await session.execute(self._mark_published, {"b_ids": acked, "b_now": now})
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
