"""The outbox relay: publishes committed outbox rows to Kafka, at least once, in key order.

One round: claim a batch, publish it, then mark the acknowledged rows published
(:mod:`~commerce.kernel.messaging.outbox_claims` has the SQL, and how relays share a table:
on MariaDB one transaction holding the rows' locks, on SQLite a claim stamped
``claimed_until``). A relay that dies meanwhile only delays its rows (until its connection is
gone, or its claim runs out); then another relay (or the same one, restarted) publishes them
again. Kafka may therefore see a row twice; never zero times.

A commit that wrote to the outbox wakes the relay (:meth:`OutboxRelay.notify`), so the poll
interval (1 s by default) only bounds how late rows written by other processes are seen; a
round that found rows is followed at once by another, and a failed row is retried when its
backoff ends, not at the next poll. Between rounds, about once a second, the relay runs its
:mod:`~commerce.kernel.messaging.outbox_housekeeping` (backlog, purge, a broker that lost
its log).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Row

from commerce.kernel.db.connections import Connections
from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.columns import db_now
from commerce.kernel.messaging.outbox_claims import RETRY_MAX_SECONDS, OutboxClaims, outgoing
from commerce.kernel.messaging.outbox_housekeeping import Backlog, OutboxHousekeeping
from commerce.kernel.messaging.publisher import Publisher
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.observability.platform_metrics import (
    record_outbox_publish_failures,
    record_outbox_published,
)

log = logging.getLogger("commerce.messaging.relay")

# Wake a little after a failed row's backoff ends, so the database already sees it claimable.
RETRY_SLACK_SECONDS = 0.01
HOUSEKEEPING_SECONDS = 1.0


class OutboxRelay:
    """Publishes one service's outbox table; several may run against the same table."""

    def __init__(
        self,
        connections: Connections,
        table: Table,
        publisher: Publisher,
        settings: MessagingSettings,
        *,
        clock: Callable[[], datetime] = db_now,
        admin: TopicAdmin | None = None,
    ) -> None:
        self._name = table.name
        self._publisher = publisher
        self._settings = settings
        self._claims = OutboxClaims(connections, table, settings, clock)
        self.housekeeping = OutboxHousekeeping(connections, table, settings, clock, admin)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        # When (loop time) rows that failed become claimable again, soonest first (a heap),
        # so they are retried then and not at the next poll; a wake-up cannot lose them.
        self._retry_times: list[float] = []
        self._round_failed = False
        self._more_waiting = True  # what the last round said of the rows behind it

    @property
    def last_backlog(self) -> Backlog:
        """The backlog as of the last housekeeping (read by the gauges at scrape time)."""
        return self.housekeeping.last_backlog

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self._name}")

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
        next_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            handled = 0
            self._round_failed = False
            try:
                handled = await self.run_once()
                if loop.time() >= next_housekeeping:
                    next_housekeeping = loop.time() + HOUSEKEEPING_SECONDS
                    await self.housekeeping.run()
                failures = 0
            except Exception as error:
                failures += 1
                log.warning("outbox relay round failed (%s): %s", type(error).__name__, error)
            if handled and not self._round_failed and self._more_waiting:
                # More is waiting: the rest of a big batch, or a key's next event, which
                # becomes claimable only once the one before it is published. Rows written
                # meanwhile woke the relay: its pause below ends at once.
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

    async def _publish(self, rows: Sequence[Row[Any]]) -> Sequence[BaseException | None]:
        """One result per row; a publication that fails or takes too long fails every row."""
        try:
            return await asyncio.wait_for(
                self._publisher.publish([outgoing(row) for row in rows]),
                self._settings.outbox_claim_seconds / 2,
            )
        except Exception as error:
            return [error] * len(rows)

    async def run_once(self) -> int:
        """Claim, publish and settle one batch; returns how many rows it handled."""
        done = await self._claims.run_round(self._publish)
        rows, results, delays = done.rows, done.results, done.delays
        self._more_waiting = done.more_waiting
        if not rows:
            return 0
        record_outbox_published(len(rows) - len(delays))
        if delays:
            record_outbox_publish_failures(len(delays))
            self._round_failed = True
            ready = asyncio.get_running_loop().time() + RETRY_SLACK_SECONDS
            for delay in set(delays):
                heapq.heappush(self._retry_times, ready + delay)
            first = next(result for result in results if result is not None)
            log.warning(
                "%d of %d outbox rows not published, retrying later (%s: %s)",
                len(delays),
                len(rows),
                type(first).__name__,
                first,
            )
        return len(rows)
