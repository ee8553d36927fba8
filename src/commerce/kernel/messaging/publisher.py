"""Publishing to Kafka: the port the relay and the dead-letter path use, and its adapter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    LeaderNotAvailableError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from commerce.kernel.messaging.admin import TopicAdmin, client_options
from commerce.kernel.messaging.settings import MessagingSettings

log = logging.getLogger("commerce.messaging.publisher")

# Produce errors that mean "the broker does not have this topic (or its leader) as we thought".
TOPIC_GONE = (UnknownTopicOrPartitionError, NotLeaderForPartitionError, LeaderNotAvailableError)


@dataclass(frozen=True)
class OutgoingMessage:
    """One Kafka record to publish: key and headers as text, value as bytes."""

    topic: str
    key: str | None
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class Publisher(Protocol):
    """Publishes records and says, per record, whether the broker acknowledged it."""

    async def publish(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        """Send ``messages`` in order; one result each: ``None`` once acknowledged
        (``acks=all``), else the error. Records of one key keep their order."""
        ...


class KafkaPublisher:
    """:class:`Publisher` over one aiokafka producer, started on first use (it reconnects itself).

    Before each batch it makes sure the batch's topics exist: after a restart the embedded
    broker has none, and it would silently drop writes to a missing topic. Topics known to
    exist cost nothing (:meth:`TopicAdmin.ensure_known`); a produce error saying a topic or its
    leader is missing makes the admin check that topic again before the next batch.

    Given ``writes`` (the service's :class:`~commerce.kernel.messaging.access.KafkaAccess`),
    a record for any other topic fails the way production's broker would fail it.
    """

    def __init__(
        self,
        settings: MessagingSettings,
        admin: TopicAdmin | None = None,
        *,
        writes: Set[str] | None = None,
    ) -> None:
        self._settings = settings
        self._writes = writes
        self._admin = admin or TopicAdmin(settings)
        self._owns_admin = admin is None
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **client_options(self._settings),
                    acks="all",
                    enable_idempotence=self._settings.kafka_enable_idempotence,
                    linger_ms=1,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def publish(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        if not messages:
            return []
        await self._admin.ensure_known(m.topic for m in messages if self._may_write(m.topic))
        producer = await self._started()
        # Enqueue one after another (so a key's records keep their order in the batch), then
        # wait for every acknowledgement together.
        pending: list[asyncio.Future[object] | BaseException] = []
        for message in messages:
            if not self._may_write(message.topic):
                pending.append(undeclared_topic(message.topic))
                continue
            try:
                pending.append(
                    await producer.send(
                        message.topic,
                        value=message.value,
                        key=message.key.encode() if message.key is not None else None,
                        headers=[(k, v.encode()) for k, v in message.headers.items()],
                    )
                )
            except Exception as error:
                pending.append(error)
        futures = [p for p in pending if isinstance(p, asyncio.Future)]
        outcomes = iter(await asyncio.gather(*futures, return_exceptions=True))
        results: list[BaseException | None] = []
        for item in pending:
            outcome = item if isinstance(item, BaseException) else next(outcomes)
            results.append(outcome if isinstance(outcome, BaseException) else None)
        pairs = zip(messages, results, strict=True)
        if gone := {message.topic for message, r in pairs if isinstance(r, TOPIC_GONE)}:
            self._admin.forget_topics(gone)
        return results

    def _may_write(self, topic: str) -> bool:
        return self._writes is None or topic in self._writes

    async def stop(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
        if self._owns_admin:
            await self._admin.close()


def undeclared_topic(topic: str) -> TopicAuthorizationFailedError:
    return TopicAuthorizationFailedError(
        f"{topic} is not among the topics this service's KAFKA_ACCESS may write (ADR 0046)"
    )
