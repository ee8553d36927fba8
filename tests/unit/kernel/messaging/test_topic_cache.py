"""The publisher checks a batch's topics only when they are not known to exist."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from aiokafka.errors import NotLeaderForPartitionError, UnknownTopicOrPartitionError

from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.publisher import KafkaPublisher, OutgoingMessage
from commerce.kernel.messaging.settings import MessagingSettings


class FakeCluster:
    """What the admin client sees of a broker: topics, a cluster id, and how often it asked."""

    def __init__(self) -> None:
        self.topics: set[str] = set()
        self.cluster = "one"
        self.listings = 0

    async def list_topics(self) -> list[str]:
        self.listings += 1
        return sorted(self.topics)

    async def create_topics(self, new_topics: list[Any]) -> Any:
        self.topics.update(topic.name for topic in new_topics)
        return SimpleNamespace(topic_errors=[(topic.name, 0, None) for topic in new_topics])

    async def describe_cluster(self) -> dict[str, str]:
        return {"cluster_id": self.cluster}


class FakeAdmin(TopicAdmin):
    def __init__(self, cluster: FakeCluster) -> None:
        super().__init__(MessagingSettings())
        self.cluster = cluster

    async def _call(self, operation: Callable[[Any], Awaitable[Any]]) -> Any:
        return await operation(self.cluster)


class FakeProducer:
    """Acknowledges every record, except those of topics in ``failing`` (with that error)."""

    def __init__(self) -> None:
        self.failing: dict[str, Exception] = {}
        self.sent: list[str] = []

    async def send(self, topic: str, **_: object) -> asyncio.Future[object]:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if topic in self.failing:
            future.set_exception(self.failing[topic])
        else:
            self.sent.append(topic)
            future.set_result(None)
        return future

    async def stop(self) -> None:
        return None


def publisher_on(cluster: FakeCluster) -> tuple[KafkaPublisher, FakeProducer]:
    publisher = KafkaPublisher(MessagingSettings(), FakeAdmin(cluster))
    producer = FakeProducer()
    publisher._producer = producer  # type: ignore[assignment]
    return publisher, producer


def batch(*topics: str) -> list[OutgoingMessage]:
    return [OutgoingMessage(topic, "k", b"v") for topic in topics]


async def test_known_topics_cost_no_metadata_request() -> None:
    cluster = FakeCluster()
    publisher, producer = publisher_on(cluster)
    for _ in range(5):
        assert await publisher.publish(batch("a", "b")) == [None, None]
    assert cluster.listings == 1
    assert cluster.topics == {"a", "b"}
    assert await publisher.publish(batch("a", "c")) == [None, None]  # only "c" is new
    assert cluster.listings == 2
    assert producer.sent.count("a") == 6


async def test_a_new_cluster_id_makes_every_topic_unknown_again() -> None:
    cluster = FakeCluster()
    publisher, _ = publisher_on(cluster)
    admin = publisher._admin
    await publisher.publish(batch("a"))
    assert await admin.cluster_id() == "one"
    await publisher.publish(batch("a"))
    assert cluster.listings == 1

    cluster.cluster, cluster.topics = "two", set()  # the broker restarted with an empty log
    assert await admin.cluster_id() == "two"
    await publisher.publish(batch("a"))
    assert cluster.listings == 2
    assert cluster.topics == {"a"}  # created again before the batch went out


async def test_an_unknown_topic_or_lost_leader_error_makes_that_topic_unknown() -> None:
    cluster = FakeCluster()
    publisher, producer = publisher_on(cluster)
    await publisher.publish(batch("a", "b"))
    producer.failing = {"a": UnknownTopicOrPartitionError(), "b": NotLeaderForPartitionError()}
    results = await publisher.publish(batch("a", "b"))
    assert all(result is not None for result in results)
    assert cluster.listings == 1
    producer.failing = {}
    assert await publisher.publish(batch("a", "b")) == [None, None]
    assert cluster.listings == 2  # checked again once


async def test_the_periodic_full_check_still_asks_the_broker() -> None:
    cluster = FakeCluster()
    admin = FakeAdmin(cluster)
    await admin.ensure_topics(["a"])
    await admin.ensure_topics(["a"])
    assert cluster.listings == 2
    assert await admin.ensure_known(["a"]) == []
    assert cluster.listings == 2
