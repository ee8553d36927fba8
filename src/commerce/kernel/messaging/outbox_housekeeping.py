"""The relay's housekeeping, about once a second: the backlog the metrics show, the purge of
published rows past their retention and, only with a broker that may lose its log (the
embedded one), its cluster watch (:mod:`commerce.kernel.messaging.lost_log`).

Published rows are kept for ``outbox_retention_seconds``: long enough for that watch to
publish them again after such a loss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select

from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.lost_log import ClusterWatch
from commerce.kernel.messaging.settings import MessagingSettings

log = logging.getLogger("commerce.messaging.relay")

PURGE_BATCH = 1000


@dataclass(frozen=True)
class Backlog:
    """Rows not yet published, and how long the oldest has waited (0 when none)."""

    pending: int
    oldest_age_seconds: float


class OutboxHousekeeping:
    """Backlog and purge of one outbox table (and its cluster watch, where one runs)."""

    def __init__(
        self,
        connections: Connections,
        table: Table,
        settings: MessagingSettings,
        clock: Callable[[], datetime],
        admin: TopicAdmin | None = None,
    ) -> None:
        self._connections = connections
        self._table = table
        self._settings = settings
        self._clock = clock
        self.cluster_watch = (
            ClusterWatch(connections, table, admin)
            if admin is not None and settings.kafka_broker_may_lose_log
            else None
        )
        # Read by the backlog gauges at scrape time; refreshed by each run.
        self.last_backlog = Backlog(0, 0.0)

    async def run(self) -> None:
        """One round of everything (the relay calls it between its own rounds)."""
        if self.cluster_watch is not None:
            await self.cluster_watch.check()
        self.last_backlog = await self.backlog()
        await self.purge()

    async def backlog(self) -> Backlog:
        """Unpublished rows and the age of the oldest, straight from the table."""
        table = self._table
        async with self._connections() as session:
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
        async with self._connections() as session, session.begin():
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
