"""Messaging against the real broker and real databases (a SQLite file and MariaDB)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import Column, MetaData, String, Table

from commerce.contracts import EventEnvelope
from commerce.kernel.db import Database
from commerce.kernel.messaging.admin import TopicAdmin, with_dead_letters
from commerce.kernel.messaging.consumer import EventConsumer
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table
from commerce.kernel.messaging.publisher import KafkaPublisher, OutgoingMessage
from commerce.kernel.messaging.settings import MessagingSettings
from tests.broker import embedded_broker, fast_settings, unique_topic  # noqa: F401
from tests.integration.kernel.messaging.helpers import metric


class Schema:
    """An outbox, an inbox and a table standing for a handler's effect."""

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.outbox = outbox_table(self.metadata)
        self.inbox = inbox_table(self.metadata)
        self.effects = Table(
            "effects", self.metadata, Column("event_id", String(64), primary_key=True)
        )


@pytest.fixture
def schema() -> Schema:
    return Schema()


@pytest.fixture
async def database(database_url: str, schema: Schema) -> AsyncIterator[Database]:
    database = await Database.open(database_url, service_package="unused", migrate=False)
    async with database.engine.begin() as connection:
        await connection.run_sync(schema.metadata.create_all)
    try:
        yield database
    finally:
        await database.close()


@dataclass
class Kafka:
    settings: MessagingSettings
    admin: TopicAdmin
    publisher: KafkaPublisher
    topic: str
    group: str

    async def send(self, *items: EventEnvelope | bytes, key: str = "k") -> None:
        messages = [
            OutgoingMessage(
                topic=self.topic,
                key=key,
                value=item if isinstance(item, bytes) else item.to_json(),
            )
            for item in items
        ]
        assert await self.publisher.publish(messages) == [None] * len(messages)

    async def committed(self) -> int:
        """The group's committed offsets on the topic, summed over its partitions."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.group,
            enable_auto_commit=False,
        )
        await reader.start()
        try:
            partitions = reader.partitions_for_topic(self.topic) or set()
            if not partitions:
                await reader._client.force_metadata_update()
                partitions = reader.partitions_for_topic(self.topic) or set()
            offsets = [await reader.committed(TopicPartition(self.topic, p)) for p in partitions]
            return sum(offset or 0 for offset in offsets)
        finally:
            await reader.stop()

    def metric(self, name: str, **labels: str) -> float:
        """A consumer metric of this test's group (and topic, unless other labels say)."""
        return metric(name, group=self.group, **({"topic": self.topic} | labels))

    def consumer(self, handler: object, **overrides: object) -> EventConsumer:
        settings = MessagingSettings.model_validate(self.settings.model_dump() | overrides)
        return EventConsumer(
            settings,
            self.group,
            [self.topic],
            handler,  # type: ignore[arg-type]
            publisher=self.publisher,
            admin=self.admin,
        )


@pytest.fixture
async def kafka(embedded_broker: EmbeddedBroker) -> AsyncIterator[Kafka]:  # noqa: F811
    settings = fast_settings(embedded_broker.bootstrap_servers)
    admin = TopicAdmin(settings)
    topic = unique_topic("consumer")
    await admin.ensure_topics(with_dead_letters([topic]))
    publisher = KafkaPublisher(settings, admin)
    try:
        yield Kafka(settings, admin, publisher, topic, group=f"group-{topic}")
    finally:
        await publisher.stop()
        await admin.close()
