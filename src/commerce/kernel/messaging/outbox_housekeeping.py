"""The relay's housekeeping, about once a second: the backlog the metrics show, the purge of
published rows past their retention, and the watch for a broker that lost its log.

Published rows are kept for ``outbox_retention_seconds``. If the broker comes back as a new
cluster (the embedded broker keeps nothing across a restart), the rows still kept are queued
for publication again: consumers drop the duplicates in their inbox, and no event is lost
with the broker's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.settings import MessagingSettings

log = logging.getLogger("commerce.messaging.relay")

PURGE_BATCH = 1000


@dataclass(frozen=True)
class Backlog:
    """Rows not yet published, and how long the oldest has waited (0 when none)."""

    pending: int
    oldest_age_seconds: float


class OutboxHousekeeping:
    """Backlog, purge and cluster watch of one outbox table."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        settings: MessagingSettings,
        clock: Callable[[], datetime],
        admin: TopicAdmin | None = None,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._settings = settings
        self._clock = clock
        self._admin = admin
        self.cluster_id: str | None = None
        # Read by the backlog gauges at scrape time; refreshed by each run.
        self.last_backlog = Backlog(0, 0.0)

    async def run(self) -> None:
        """One round of everything (the relay calls it between its own rounds)."""
        await self.watch_cluster()
        self.last_backlog = await self.backlog()
        await self.purge()

    async def watch_cluster(self) -> None:
        """Queue the retained rows again when the broker reports a new cluster id."""
        if self._admin is None:
            return
        cluster_id = await self._admin.cluster_id()
        if self.cluster_id is not None and cluster_id != self.cluster_id:
            count = await self.republish_retained()
            log.warning(
                "the broker is a new cluster (%s, was %s): its log is gone; publishing the %d "
                "retained outbox rows again",
                cluster_id,
                self.cluster_id,
                count,
            )
        self.cluster_id = cluster_id

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
