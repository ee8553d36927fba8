"""Consumer lag as the broker sees it: a group's committed offsets against the end offsets.

Asked only by the operations console (docs/adr/0049), with a short timeout: a broker that is
down or slow makes the answer "unknown", never a failed request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from commerce.kernel.messaging.admin import TopicAdmin, client_options
from commerce.kernel.messaging.settings import MessagingSettings

LAG_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int | None
    committed: int | None
    end: int | None

    @property
    def lag(self) -> int | None:
        if self.end is None:
            return None
        # A group that never committed on a partition starts from its beginning.
        return max(self.end - (self.committed or 0), 0)


@dataclass(frozen=True)
class LagReport:
    partitions: list[PartitionLag]
    available: bool
    detail: str | None = None


def unknown_lag(groups: Mapping[str, Sequence[str]], detail: str) -> LagReport:
    rows = [
        PartitionLag(group, topic, None, None, None)
        for group, topics in groups.items()
        for topic in topics
    ]
    return LagReport(rows, available=False, detail=detail)


async def _end_offsets(settings: MessagingSettings, topics: set[str]) -> dict[TopicPartition, int]:
    # A consumer without a group: it only reads metadata and end offsets, joins nothing.
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # loads the metadata of every topic
        partitions = [
            TopicPartition(topic, partition)
            for topic in sorted(topics)
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def _measure(
    settings: MessagingSettings, admin: TopicAdmin, groups: Mapping[str, Sequence[str]]
) -> LagReport:
    wanted = {topic for topics in groups.values() for topic in topics}
    ends = await _end_offsets(settings, wanted)
    rows: list[PartitionLag] = []
    for group, topics in groups.items():
        partitions = [tp for tp in sorted(ends) if tp.topic in topics]
        committed = await admin.committed_offsets(group, partitions) if partitions else {}
        for tp in partitions:
            offset = committed.get(tp)
            known = offset if offset is not None and offset >= 0 else None
            rows.append(PartitionLag(group, tp.topic, tp.partition, known, ends[tp]))
    return LagReport(rows, available=True)


async def consumer_lag(
    settings: MessagingSettings,
    admin: TopicAdmin,
    groups: Mapping[str, Sequence[str]],
    timeout_seconds: float = LAG_TIMEOUT_SECONDS,
) -> LagReport:
    """The lag of each of ``groups`` (group -> topics), partition by partition."""
    if not groups:
        return LagReport([], available=True)
    try:
        return await asyncio.wait_for(_measure(settings, admin, groups), timeout_seconds)
    except Exception as error:  # the console shows "unknown", with the reason
        return unknown_lag(groups, f"the broker did not answer ({type(error).__name__})")
