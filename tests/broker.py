"""The real Kafka-protocol broker for tests, and helpers to look at what is on it.

Use the session-wide broker by importing the fixture into a ``conftest.py``::

    from tests.broker import embedded_broker  # noqa: F401

Tests sharing it keep apart by using their own topics (:func:`unique_topic`) and groups. A
test that restarts the broker starts its own :class:`EmbeddedBroker` instead. A service
test that uses the platform's fixed topics takes a broker of its own (``own_broker``) and
reads and writes them through ``kafka`` (:class:`BrokerClients`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from commerce.contracts.envelope import EventEnvelope
from commerce.kernel.messaging.embedded_broker import AUTO_CREATED_TOPIC_PARTITIONS, EmbeddedBroker
from commerce.kernel.messaging.settings import MessagingSettings

SENTINEL = b"__end_of_test_stream__"
DEADLINE_SECONDS = 30.0
Publish = Callable[[EventEnvelope | bytes, str], Awaitable[None]]


@pytest.fixture(scope="session")
def embedded_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One Tansu broker (memory storage) on a free loopback port for the whole session."""
    log_path: Path = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as broker:
        yield broker


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker for this test alone: its topics, groups and offsets start empty."""
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        yield broker


class BrokerClients:
    """Readers and publishers on one broker, all stopped when the test ends."""

    def __init__(self, bootstrap_servers: str, stack: AsyncExitStack) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._stack = stack

    async def reader(self, topic: str) -> AIOKafkaConsumer:
        """Every partition of ``topic`` from its start, in no group (no join to wait for).
        The topic must exist: a service creates its topics as it starts."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        self._stack.push_async_callback(consumer.stop)
        await consumer.topics()  # refreshes the metadata that partitions_for_topic reads
        partitions = consumer.partitions_for_topic(topic) or set()
        assert partitions, f"{topic} does not exist"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        return consumer

    async def publisher(self, topic: str) -> Publish:
        """Sends an event (or raw bytes) to ``topic`` under a key, and waits for the ack."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers)
        await producer.start()
        self._stack.push_async_callback(producer.stop)

        async def send(event: EventEnvelope | bytes, key: str) -> None:
            value = event if isinstance(event, bytes) else event.to_json()
            await producer.send_and_wait(topic, value, key=key.encode())

        return send


@pytest.fixture
async def kafka(own_broker: EmbeddedBroker) -> AsyncIterator[BrokerClients]:
    async with AsyncExitStack() as stack:
        yield BrokerClients(own_broker.bootstrap_servers, stack)


async def events_keyed(consumer: AIOKafkaConsumer, key: str, count: int) -> list[EventEnvelope]:
    """Events keyed ``key``, read until there are ``count`` (fails after
    :data:`DEADLINE_SECONDS`). A batch may bring more, which a test unpacking them sees."""
    found: list[EventEnvelope] = []
    end = time.monotonic() + DEADLINE_SECONDS
    while len(found) < count:
        assert time.monotonic() < end, f"only {found} keyed {key}"
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            found.extend(EventEnvelope.from_json(r.value) for r in records if r.key == key.encode())
    return found


def unique_topic(label: str = "test") -> str:
    return f"test.{label}.{uuid.uuid4().hex[:10]}"


def fast_settings(bootstrap_servers: str, **overrides: object) -> MessagingSettings:
    """Messaging settings for tests: short retries, sessions and claims."""
    values: dict[str, object] = {
        "kafka_bootstrap_servers": bootstrap_servers,
        "kafka_metadata_max_age_seconds": 1.0,
        "kafka_request_timeout_seconds": 5.0,
        "consumer_max_attempts": 3,
        "consumer_retry_backoff_seconds": 0.01,
        "consumer_max_backoff_seconds": 0.05,
        "consumer_session_timeout_seconds": 1.0,
        "outbox_poll_interval_seconds": 0.02,
        "outbox_claim_seconds": 10.0,
        # The tests' broker is the embedded one, which loses its log when restarted, and
        # whose topics are laid out as it would create them itself (as the platform's are).
        "kafka_broker_may_lose_log": True,
        "kafka_topic_partitions": AUTO_CREATED_TOPIC_PARTITIONS,
    }
    values.update(overrides)
    return MessagingSettings.model_validate(values)


async def read_topic(bootstrap_servers: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` right now, in partition order.

    Writes a sentinel to each partition and reads until every sentinel came back, so the
    answer is exact (duplicates included) without waiting for a quiet period.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        for partition in partitions:
            await producer.send_and_wait(topic, SENTINEL, partition=partition)
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        records: list[ConsumerRecord[bytes, bytes]] = []
        open_partitions = set(partitions)
        while open_partitions:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, batch_records in batch.items():
                for record in batch_records:
                    if record.value == SENTINEL:
                        open_partitions.discard(tp.partition)
                    elif tp.partition in open_partitions:
                        records.append(record)
        return records
    finally:
        await consumer.stop()
        await producer.stop()


async def eventually(condition: object, *, interval: float = 0.05) -> None:
    """Wait until ``condition()`` (sync or async) is true; the test's timeout bounds it."""
    while True:
        result = condition()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(interval)


def listening_addresses(port: int) -> set[str]:
    """Local addresses of this machine's listening TCP sockets on ``port`` (IPv4 and IPv6)."""
    return {
        connection.laddr.ip
        for connection in psutil.net_connections("tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
    }
