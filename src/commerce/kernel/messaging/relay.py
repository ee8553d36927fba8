"""The outbox relay: publishes committed outbox rows to Kafka, at least once, in key order.

One round: claim a batch (a short transaction that stamps ``claimed_until``), publish it, then
mark the acknowledged rows published. The database decides who gets which row:
``SELECT ... FOR UPDATE SKIP LOCKED`` on MySQL/MariaDB, a single ``UPDATE ... RETURNING`` on
SQLite (one writer at a time), preceded there by a plain read of one claimable id so that an
idle poll never takes the writer lock. No transaction stays open while Kafka is slow, and a
relay that dies after claiming only delays its rows until the claim runs out; then another
relay (or the same one, restarted) publishes them again. Kafka may therefore see a row twice;
never zero times.

A commit that wrote to the outbox wakes the relay (:meth:`OutboxRelay.notify`), so the poll
interval (1 s by default) only bounds how late rows written by other processes are seen; a
round that found rows is followed at once by another, and a failed row is retried when its
backoff ends, not at the next poll.

A row is claimed only when no earlier row with the same key is still unpublished, so each key's
events reach Kafka in the order they were written, however many relays run.

Published rows are kept for ``outbox_retention_seconds``. If the broker comes back as a new
cluster (the embedded broker keeps nothing across a restart), the relay publishes the rows it
still keeps again: consumers drop the duplicates in their inbox, and no event is lost with
the broker's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.columns import db_now
from commerce.kernel.messaging.publisher import OutgoingMessage, Publisher
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.observability.platform_metrics import (
    record_outbox_publish_failures,
    record_outbox_published,
)

log = logging.getLogger("commerce.messaging.relay")

RETRY_BASE_SECONDS = 0.2
RETRY_MAX_SECONDS = 10.0
# Wake a little after a failed row's backoff ends, so the database already sees it claimable.
RETRY_SLACK_SECONDS = 0.01
BACKLOG_REFRESH_SECONDS = 1.0
PURGE_BATCH = 1000


@dataclass(frozen=True)
class Backlog:
    """Rows not yet published, and how long the oldest has waited (0 when none)."""

    pending: int
    oldest_age_seconds: float


def retry_delay(attempts: int) -> float:
    """How long a row waits after its ``attempts``-th failed publication."""
    return float(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


class OutboxRelay:
    """Publishes one service's outbox table; several may run against the same table."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: Publisher,
        settings: MessagingSettings,
        *,
        clock: Callable[[], datetime] = db_now,
        admin: TopicAdmin | None = None,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._publisher = publisher
        self._settings = settings
        self._clock = clock
        self._admin = admin
        self._cluster_id: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        # When (loop time) rows that failed become claimable again, soonest first (a heap),
        # so they are retried then and not at the next poll; a wake-up cannot lose them.
        self._retry_times: list[float] = []
        self._round_failed = False
        # Read by the backlog gauges at scrape time; refreshed by the running relay.
        self.last_backlog = Backlog(0, 0.0)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._table.name}")

    async def stop(self) -> None:
        """Finish the round in progress, then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(task, self._settings.outbox_claim_seconds)
        except TimeoutError:
            log.warning("outbox relay did not stop in time; its claims will expire")

    def notify(self) -> None:
        """Wake the relay now (e.g. right after a commit that wrote to the outbox)."""
        self._wake.set()

    async def _run(self) -> None:
        failures = 0
        next_maintenance = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            handled = 0
            self._round_failed = False
            try:
                handled = await self.run_once()
                if loop.time() >= next_maintenance:
                    next_maintenance = loop.time() + BACKLOG_REFRESH_SECONDS
                    await self._watch_cluster()
                    self.last_backlog = await self.backlog()
                    await self.purge()
                failures = 0
            except Exception as error:
                failures += 1
                log.warning("outbox relay round failed (%s): %s", type(error).__name__, error)
            if handled and not self._round_failed:
                # More may be waiting: the rest of a big batch, or a key's next event, which
                # becomes claimable only once the one before it is published.
                continue
            pause = self._settings.outbox_poll_interval_seconds
            if failures:
                pause = min(RETRY_MAX_SECONDS, pause * 2**failures)
            retry_in = self._next_retry_in(loop.time())
            if retry_in is not None:
                pause = min(pause, retry_in)
            await self._sleep(pause)

    def _next_retry_in(self, now: float) -> float | None:
        """Seconds until failed rows may be retried (0: some already may), or None."""
        due = False
        while self._retry_times and self._retry_times[0] <= now:
            heapq.heappop(self._retry_times)
            due = True
        if due:
            return 0.0
        return self._retry_times[0] - now if self._retry_times else None

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    # -- one round ----------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim, publish and settle one batch; returns how many rows it handled."""
        rows = await self._claim()
        if not rows:
            return 0
        messages = [self._message(row) for row in rows]
        try:
            results: Sequence[BaseException | None] = await asyncio.wait_for(
                self._publisher.publish(messages), self._settings.outbox_claim_seconds / 2
            )
        except Exception as error:
            results = [error] * len(rows)
        await self._settle(rows, results)
        return len(rows)

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

    async def _claim(self) -> list[Row[Any]]:
        table = self._table
        now = self._clock()
        until = now + timedelta(seconds=self._settings.outbox_claim_seconds)
        limit = self._settings.outbox_batch_size
        candidate = table.alias("candidate")
        names = ("id", "topic", "message_key", "payload", "headers", "attempts")
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
                    .returning(*(table.c[name] for name in names))
                )
                rows = list((await session.execute(claim)).all())
            else:
                # Rows another relay is claiming right now are locked: skip them, don't wait.
                statement = (
                    select(*(candidate.c[name] for name in names))
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

    @staticmethod
    def _message(row: Row[Any]) -> OutgoingMessage:
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

    async def _settle(self, rows: list[Row[Any]], results: Sequence[BaseException | None]) -> None:
        table = self._table
        now = self._clock()
        acked = [row.id for row, result in zip(rows, results, strict=True) if result is None]
        failed = [(row, r) for row, r in zip(rows, results, strict=True) if r is not None]
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
                delay = retry_delay(attempts)
                await session.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.published_at.is_(None))
                    .values(
                        attempts=attempts,
                        last_error=f"{type(error).__name__}: {error}"[:500],
                        claimed_until=now + timedelta(seconds=delay),
                    )
                )
        if failed:
            self._round_failed = True
            ready = asyncio.get_running_loop().time() + RETRY_SLACK_SECONDS
            for delay in {retry_delay(row.attempts + 1) for row, _ in failed}:
                heapq.heappush(self._retry_times, ready + delay)
        record_outbox_published(len(acked))
        if failed:
            record_outbox_publish_failures(len(failed))
        if failed:
            row, error = failed[0]
            log.warning(
                "%d of %d outbox rows not published, retrying later (%s: %s)",
                len(failed),
                len(rows),
                type(error).__name__,
                error,
            )

    # -- housekeeping -------------------------------------------------------------------------

    async def _watch_cluster(self) -> None:
        if self._admin is None:
            return
        cluster_id = await self._admin.cluster_id()
        if self._cluster_id is not None and cluster_id != self._cluster_id:
            count = await self.republish_retained()
            log.warning(
                "the broker is a new cluster (%s, was %s): its log is gone; publishing the %d "
                "retained outbox rows again",
                cluster_id,
                self._cluster_id,
                count,
            )
        self._cluster_id = cluster_id

    async def republish_retained(self) -> int:
        """Queue every published row still kept for publication again; returns how many."""
        table = self._table
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(table)
                .where(table.c.published_at.is_not(None))
                .values(published_at=None, claimed_until=None)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def backlog(self) -> Backlog:
        """Unpublished rows and the age of the oldest, straight from the table."""
        table = self._table
        async with self._sessions() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(table.c.created_at)).where(
                        table.c.published_at.is_(None)
                    )
                )
            ).one()
        if not count or oldest is None:
            return Backlog(0, 0.0)
        return Backlog(int(count), max(0.0, (self._clock() - oldest).total_seconds()))

    async def purge(self) -> int:
        """Delete rows published longer ago than the retention; returns how many."""
        table = self._table
        cutoff = self._clock() - timedelta(seconds=self._settings.outbox_retention_seconds)
        async with self._sessions() as session, session.begin():
            ids = list(
                (
                    await session.execute(
                        select(table.c.id)
                        .where(table.c.published_at.is_not(None), table.c.published_at < cutoff)
                        .limit(PURGE_BATCH)
                    )
                ).scalars()
            )
            if ids:
                await session.execute(delete(table).where(table.c.id.in_(ids)))
        return len(ids)
