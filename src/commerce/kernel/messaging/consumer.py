"""The consumer runner: one consumer group per service, written once for every service.

Offsets are committed by hand, only after the handler returned (its unit of work committed),
so a crash means redelivery, never loss; the inbox makes the redelivery harmless. Partitions
of a poll are applied together in one transaction, each strictly in order (or, when that
fails, concurrently, each in a transaction of its own). A failing message is retried,
then parked in ``<topic>.dlq`` and committed, so one poison message never stops a partition.
A message that meets a dependency outage is not parked: after a bounded while retrying in
place its partition seeks back to it, and the loop polls (so the member stays in its group)
and tries it again, until the database or Redis is back.
The loop survives broker outages and restarts: it reconnects, recreates its topics and rejoins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.messaging.admin import TopicAdmin, client_options, with_dead_letters
from commerce.kernel.messaging.dead_letter_records import DeadLetterSink
from commerce.kernel.messaging.partitions import PartitionProgress
from commerce.kernel.messaging.processing import (
    BatchTransaction,
    EventHandler,
    IncomingMessage,
    MessageProcessor,
    Outcome,
    RetryPolicy,
)
from commerce.kernel.messaging.publisher import KafkaPublisher, Publisher
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.observability.platform_metrics import record_consumer_commit_failure

__all__ = ["EventConsumer", "EventHandler"]

log = logging.getLogger("commerce.messaging.consumer")

POLL_TIMEOUT_MS = 200
RECONNECT_MAX_SECONDS = 5.0


def _incoming(record: ConsumerRecord[bytes, bytes]) -> IncomingMessage:
    return IncomingMessage(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
    )


class EventConsumer:
    """Runs ``handler`` for every event on ``topics`` as member of consumer group ``group_id``."""

    def __init__(
        self,
        settings: MessagingSettings,
        group_id: str,
        topics: Sequence[str],
        handler: EventHandler,
        *,
        publisher: Publisher | None = None,
        admin: TopicAdmin | None = None,
        batch_transaction: BatchTransaction | None = None,
        recorder: DeadLetterSink | None = None,
    ) -> None:
        self._settings = settings
        # With it, a poll's messages (all its partitions') are applied in one transaction.
        self._batch_transaction = batch_transaction
        self.group_id = group_id
        self.topics = list(topics)
        self._admin = admin
        self._own_publisher = KafkaPublisher(settings, admin) if publisher is None else None
        self._stopping = asyncio.Event()
        self.processor = MessageProcessor(
            handler,
            publisher or self._own_publisher,  # type: ignore[arg-type]
            group_id=group_id,
            policy=RetryPolicy(
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_retry_backoff_seconds,
                max_backoff_seconds=settings.consumer_max_backoff_seconds,
                outage_retry_seconds=settings.consumer_outage_retry_seconds,
            ),
            sleep=self._pause,
            stopping=self._stopping.is_set,
            recorder=recorder,
        )
        self._task: asyncio.Task[None] | None = None
        self.progress = PartitionProgress()

    # -- metrics ------------------------------------------------------------------------------

    @property
    def lag(self) -> int:
        """Messages on the assigned partitions not yet processed (as of the last poll)."""
        return self.progress.lag

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"consumer:{self.group_id}")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Let the messages in hand finish and commit, then leave the group. After
        ``grace_seconds`` the work in hand is cancelled instead (uncommitted: redelivered)."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            done, _ = await asyncio.wait({task}, timeout=grace_seconds)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._own_publisher is not None:
            await self._own_publisher.stop()

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            session_ms = int(self._settings.consumer_session_timeout_seconds * 1000)
            options = client_options(self._settings)
            # A join waits for the group's rebalance (up to a session timeout); like the Java
            # client, give those requests that long plus a margin before calling them failed.
            options["request_timeout_ms"] = max(options["request_timeout_ms"], session_ms + 5000)
            consumer = AIOKafkaConsumer(
                **options,
                group_id=self.group_id,
                enable_auto_commit=False,
                # A new group (or a broker that lost its offsets) starts from the beginning:
                # re-reading is harmless with the inbox, skipping would lose events.
                auto_offset_reset="earliest",
                session_timeout_ms=session_ms,
                heartbeat_interval_ms=max(100, session_ms // 5),
                fetch_max_wait_ms=int(self._settings.consumer_fetch_max_wait_seconds * 1000),
                max_poll_interval_ms=int(self._settings.consumer_max_poll_interval_seconds * 1000),
            )
            try:
                if self._admin is not None:
                    await self._admin.ensure_topics(with_dead_letters(self.topics))
                consumer.subscribe(self.topics, listener=self.progress)
                await consumer.start()
                failures = 0
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                log.warning(
                    "consumer %s stopped (%s: %s); reconnecting",
                    self.group_id,
                    type(error).__name__,
                    error,
                )
            finally:
                self.progress.reset()
                with contextlib.suppress(Exception):
                    await consumer.stop()
            if failures and not self._stopping.is_set():
                await self._pause(
                    backoff_seconds(failures + 1, base=0.1, cap=RECONNECT_MAX_SECONDS)
                )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        # A poll's offsets are committed while the next poll is fetched and processed: the
        # broker's answer (milliseconds) is not added to every hop of a saga. One commit at a
        # time, in order; the last one is awaited before the consumer leaves.
        committing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                batch = await consumer.getmany(
                    timeout_ms=POLL_TIMEOUT_MS, max_records=self._settings.consumer_batch_size
                )
                if batch:
                    outcomes = await self._process_poll(consumer, batch)
                    done = {
                        tp: offset
                        for tp, (offset, _) in zip(batch, outcomes, strict=True)
                        if offset is not None
                    }
                    if committing is not None:
                        await committing
                    committing = asyncio.create_task(self._commit(consumer, done))
                    for _, error in outcomes:
                        if error is not None:
                            raise error  # the rest of that partition comes again after reconnecting
                self.progress.refresh(consumer)
        finally:
            if committing is not None:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    committing.cancel()  # cancelled (the grace ran out): leave uncommitted
                await asyncio.wait({committing})
                if not committing.cancelled():
                    committing.exception()  # _commit logged what it could not do

    async def _process_poll(
        self,
        consumer: AIOKafkaConsumer,
        batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> list[tuple[int | None, Exception | None]]:
        """Process a poll; per partition, the offset to commit and the error that stopped it.

        Records from several partitions go together in one transaction first, each
        partition's in order: at a moderate rate a poll holds a message or two per
        partition, and a transaction per partition cost a commit each and made them wait on
        each other's row locks (docs/adr/0043, later section). If that fails, nothing of it
        was committed and each partition goes its own way, as when a poll holds one."""
        if (
            self._batch_transaction is not None
            and len(batch) > 1
            and not self._stopping.is_set()
            and await self.processor.process_batch(
                [_incoming(record) for records in batch.values() for record in records],
                self._batch_transaction,
            )
        ):
            outcomes: list[tuple[int | None, Exception | None]] = []
            for tp, records in batch.items():
                self.progress.processed(tp, records[-1].offset + 1)
                outcomes.append((records[-1].offset + 1, None))
            return outcomes
        return list(
            await asyncio.gather(
                *(self._process_partition(consumer, records) for records in batch.values())
            )
        )

    async def _process_partition(
        self, consumer: AIOKafkaConsumer, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[int | None, Exception | None]:
        """Process ``records`` in order; returns the offset to commit and the error that
        stopped the partition early, if any.

        Together in one transaction first (when the service gave one); if that fails,
        nothing of it was committed and the records go one by one, each retried, deferred
        or dead-lettered on its own (docs/adr/0043)."""
        if (
            self._batch_transaction is not None
            and len(records) > 1
            and not self._stopping.is_set()
            and await self.processor.process_batch(
                [_incoming(record) for record in records], self._batch_transaction
            )
        ):
            last = records[-1]
            self.progress.processed(TopicPartition(last.topic, last.partition), last.offset + 1)
            return last.offset + 1, None
        next_offset: int | None = None
        for record in records:
            if self._stopping.is_set():
                break
            try:
                outcome = await self.processor.process(_incoming(record))
            except Exception as error:
                return next_offset, error
            if outcome is Outcome.DEFERRED:
                # A dependency is down: leave this record uncommitted and fetch it (and the
                # rest of the partition) again on the next poll.
                with contextlib.suppress(IllegalStateError):  # revoked meanwhile: fine too
                    consumer.seek(TopicPartition(record.topic, record.partition), record.offset)
                break
            next_offset = record.offset + 1
            self.progress.processed(TopicPartition(record.topic, record.partition), next_offset)
        return next_offset, None

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        owned = consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # A rebalance (or a restarted broker) took the partitions away; their new owner
            # gets these messages again, and the inbox makes that a no-op.
            record_consumer_commit_failure(self.group_id)
            log.warning("consumer %s could not commit: %s", self.group_id, error)
