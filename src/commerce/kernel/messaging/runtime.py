"""Messaging for one service process: topics, the outbox relay and the consumers, together.

``bootstrap.py`` builds one :class:`Messaging` in the app's lifespan, with the service's
declared :class:`~commerce.kernel.messaging.access.KafkaAccess`::

    messaging = Messaging(settings, database, tables.outbox, KAFKA_ACCESS)
    await messaging.start(consumers=[("product", [ORDER_EVENTS], handler)])
    ...
    await messaging.stop()

and passes ``messaging.ping`` to ``/readyz``. Nothing here fails when the broker is down at
start: every part retries in the background, and the readiness check says "not ready".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Table

from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.kernel.domain import utc_now
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.columns import db_now
from commerce.kernel.messaging.consumer import EventConsumer
from commerce.kernel.messaging.dead_letter_records import (
    SqlDeadLetterRecorder,
    purge_resolved_dead_letters,
)
from commerce.kernel.messaging.inbox import purge_inbox
from commerce.kernel.messaging.lag import LagReport, consumer_lag
from commerce.kernel.messaging.lost_log import keep_topics
from commerce.kernel.messaging.processing import BatchTransaction, EventHandler
from commerce.kernel.messaging.publisher import KafkaPublisher
from commerce.kernel.messaging.relay import OutboxRelay
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.observability.platform_metrics import observe_consumer_lag, observe_outbox

log = logging.getLogger("commerce.messaging")

ConsumerSpec = tuple[str, Sequence[str], EventHandler]


class Messaging:
    """Owns the service's Kafka clients, its outbox relay and its consumers; uses no topic or
    consumer group that ``access`` does not declare."""

    def __init__(
        self,
        settings: MessagingSettings,
        database: Database,
        outbox: Table,
        access: KafkaAccess,
        *,
        inbox: Table | None = None,
        dead_letters: Table | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.inbox = inbox
        # Parked messages are also kept here, for the operations console (docs/adr/0048).
        self.dead_letters = dead_letters
        self._recorder = (
            SqlDeadLetterRecorder(database.connections, dead_letters)
            if dead_letters is not None
            else None
        )
        # Each consumer group's handler: a replayed dead letter goes through it again.
        self.handlers: dict[str, EventHandler] = {}
        self.access = access
        # Only these: in production the service may not even see (let alone create) others.
        self.topics = access.topics()
        self.admin = TopicAdmin(settings)
        self.publisher = KafkaPublisher(settings, self.admin, writes=access.writes)
        self.relay = OutboxRelay(
            database.connections, outbox, self.publisher, settings, admin=self.admin
        )
        self.consumers: list[EventConsumer] = []
        self._housekeeping: list[asyncio.Task[None]] = []
        # /metrics reads the numbers the relay refreshes as it runs; a scrape never queries.
        observe_outbox(
            lambda: self.relay.last_backlog.pending,
            lambda: self.relay.last_backlog.oldest_age_seconds,
        )

    async def start(self, consumers: Sequence[ConsumerSpec] = ()) -> None:
        """Create the topics (and their DLQs) if the broker is up, then start the relay and
        one consumer per ``(group_id, topics, handler)``; each must be declared in the access."""
        for group_id, topics, _handler in consumers:
            self.access.check_consumer(group_id, topics)
        try:
            await asyncio.wait_for(
                self.admin.ensure_topics(self.topics), self.settings.kafka_request_timeout_seconds
            )
        except Exception as error:
            log.warning("broker not reachable at start (%s); retrying in the background", error)
        await self.relay.start()
        for group_id, topics, handler in consumers:
            self.handlers[group_id] = handler
            consumer = EventConsumer(
                self.settings,
                group_id,
                topics,
                handler,
                publisher=self.publisher,
                admin=self.admin,
                batch_transaction=self._batch_transaction(),
                recorder=self._recorder,
            )
            self.consumers.append(consumer)
            observe_consumer_lag(group_id, consumer.progress.lag_by_partition)
            await consumer.start()
        if self.settings.kafka_broker_may_lose_log:
            interval = self.settings.kafka_metadata_max_age_seconds
            keeper = keep_topics(self.admin, self.topics, interval)
            self._housekeeping.append(asyncio.create_task(keeper, name="topic-keeper"))
        if self.inbox is not None or self.dead_letters is not None:
            purge = asyncio.create_task(self._purge_expired(), name="messaging-purge")
            self._housekeeping.append(purge)

    def _batch_transaction(self) -> BatchTransaction | None:
        if not self.settings.consumer_batch_transactions:
            return None
        connections = self.database.connections
        return lambda: shared_transaction(connections)

    async def _purge_expired(self) -> None:
        # The inbox only has to outlive redelivery (Kafka retention, re-drives); past that its
        # rows are dead weight. Handlers stay idempotent per aggregate beyond the inbox anyway.
        # A resolved dead letter is history once its retention is over (the audit keeps who
        # resolved it); an open one waits for an operator however old it is.
        settings = self.settings
        while True:
            now = db_now()
            try:
                async with self.database.connections.begin() as session:
                    if self.inbox is not None:
                        cutoff = now - timedelta(seconds=settings.inbox_retention_seconds)
                        removed = await purge_inbox(session, self.inbox, older_than=cutoff)
                        if removed:
                            log.info("purged %d inbox rows older than the retention", removed)
                    if self.dead_letters is not None:
                        # Its times are aware (UtcDateTime), the inbox's naive (db_now).
                        retention = timedelta(seconds=settings.dead_letter_retention_seconds)
                        cutoff = utc_now() - retention
                        removed = await purge_resolved_dead_letters(
                            session, self.dead_letters, older_than=cutoff
                        )
                        if removed:
                            log.info("purged %d resolved dead letters", removed)
            except Exception as error:
                log.warning("messaging purge failed: %s", type(error).__name__)
            await asyncio.sleep(settings.inbox_purge_interval_seconds)

    async def stop(self) -> None:
        """Stop consuming, publish what the relay has in hand, then close the clients."""
        for task in self._housekeeping:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._housekeeping.clear()
        await asyncio.gather(*(consumer.stop() for consumer in self.consumers))
        self.consumers.clear()
        await self.relay.stop()
        await self.publisher.stop()
        await self.admin.close()

    async def consumer_lag(self) -> LagReport:
        """Committed against end offsets of the service's groups, or "unknown" (bounded)."""
        return await consumer_lag(self.settings, self.admin, self.access.consumes)

    async def ping(self) -> None:
        """Raise unless the broker answers (``/readyz``)."""
        await self.admin.ping()

    def notify_outbox(self) -> None:
        """Wake the relay now instead of at its next poll (optional, after an outbox write)."""
        self.relay.notify()
