"""What the platform does only because its broker may lose its log (docs/adr/0045).

The embedded broker (Tansu, memory storage) keeps nothing across a restart: its topics and
every record are gone, and it comes back under a new cluster id. Real Kafka does not lose a
committed log, so none of this runs in production; a service runs it when
``<SERVICE>_KAFKA_BROKER_MAY_LOSE_LOG`` is true, which the platform sets for the services of
``make run`` and the tests that start the embedded broker:

- :func:`keep_topics` creates again, every few seconds, the topics the broker lost;
- :class:`ClusterWatch` queues the outbox rows still retained for publication again when the
  broker reports a new cluster id (consumers drop the duplicates in their inbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy import Table, update

from commerce.kernel.background import stop_if_cancelled
from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.admin import TopicAdmin

log = logging.getLogger("commerce.messaging")


async def keep_topics(admin: TopicAdmin, topics: Sequence[str], interval: float) -> None:
    """Every ``interval`` seconds, create those of ``topics`` the broker lost before anyone
    needs them. A failure is a warning once per streak (a broker down for an hour is one
    line, and one more when it is back)."""
    failing = False
    while True:
        await asyncio.sleep(interval)
        try:
            await admin.ensure_topics(topics)
        except Exception as error:
            stop_if_cancelled(error)
            if not failing:
                log.warning(
                    "topic check failed (%s: %s); retrying every %.0f s",
                    type(error).__name__,
                    error,
                    interval,
                )
            else:
                log.debug("topic check failed again: %s", error)
            failing = True
            continue
        if failing:
            log.info("topic check works again")
        failing = False


class ClusterWatch:
    """Republishes one outbox's retained rows when the broker turns out to be a new cluster."""

    def __init__(self, connections: Connections, table: Table, admin: TopicAdmin) -> None:
        self._connections = connections
        self._table = table
        self._admin = admin
        self.cluster_id: str | None = None

    async def check(self) -> None:
        """Queue the retained rows again when the broker reports a new cluster id."""
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
        async with self._connections() as session, session.begin():
            result = await session.execute(
                update(table)
                .where(table.c.published_at.is_not(None))
                .values(published_at=None, claimed_until=None)
            )
        return int(result.rowcount or 0)
