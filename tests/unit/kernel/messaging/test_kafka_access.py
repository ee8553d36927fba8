"""A service's declared Kafka access: what it adds up to, and what it refuses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import TopicAuthorizationFailedError
from sqlalchemy import MetaData

from commerce.contracts import EventEnvelope
from commerce.kernel.messaging.access import KafkaAccess, UndeclaredKafkaUse
from commerce.kernel.messaging.outbox import outbox_table
from commerce.kernel.messaging.publisher import KafkaPublisher, OutgoingMessage
from commerce.kernel.messaging.runtime import Messaging
from commerce.kernel.messaging.settings import MessagingSettings
from tests.unit.kernel.messaging.test_topic_cache import FakeAdmin, FakeCluster, FakeProducer

ORDER_LIKE = KafkaAccess(produces=("orders",), consumes={"order": ("catalog", "prices")})


def test_a_consumer_writes_the_dead_letters_of_what_it_reads() -> None:
    assert ORDER_LIKE.reads == {"catalog", "prices"}
    assert ORDER_LIKE.writes == {"orders", "catalog.dlq", "prices.dlq"}
    assert ORDER_LIKE.groups == {"order"}
    assert ORDER_LIKE.topics() == ["orders", "catalog", "prices", "catalog.dlq", "prices.dlq"]


def test_a_producer_alone_reads_nothing_and_joins_no_group() -> None:
    access = KafkaAccess(produces=("users",))
    assert access.writes == {"users"} and not access.reads and not access.groups
    assert access.topics() == ["users"]


def test_a_consumer_must_be_declared_with_every_topic_it_reads() -> None:
    ORDER_LIKE.check_consumer("order", ["catalog"])
    with pytest.raises(UndeclaredKafkaUse, match="'order' reads users"):
        ORDER_LIKE.check_consumer("order", ["catalog", "users"])
    with pytest.raises(UndeclaredKafkaUse, match="'audit' reads catalog"):
        ORDER_LIKE.check_consumer("audit", ["catalog"])


async def test_the_publisher_refuses_a_topic_the_service_may_not_write() -> None:
    cluster = FakeCluster()
    publisher = KafkaPublisher(MessagingSettings(), FakeAdmin(cluster), writes=ORDER_LIKE.writes)
    producer = FakeProducer()
    publisher._producer = producer  # type: ignore[assignment]
    messages = [OutgoingMessage(topic, "k", b"v") for topic in ("orders", "users", "catalog.dlq")]

    results = await publisher.publish(messages)

    assert results[0] is None and results[2] is None
    assert isinstance(results[1], TopicAuthorizationFailedError)  # what the broker would say
    assert producer.sent == ["orders", "catalog.dlq"]
    assert "users" not in cluster.topics  # not even created


async def test_messaging_refuses_to_start_an_undeclared_consumer() -> None:
    outbox = outbox_table(MetaData())
    database: Any = SimpleNamespace(connections=None)  # never reached: the check comes first
    messaging = Messaging(MessagingSettings(), database, outbox, ORDER_LIKE)

    async def handler(envelope: EventEnvelope) -> None:
        return None

    with pytest.raises(UndeclaredKafkaUse):
        await messaging.start(consumers=[("order", ["users"], handler)])
    assert messaging.topics == ORDER_LIKE.topics()
    assert not messaging.consumers
