"""The consumer's bookkeeping without a broker: failed commits are counted, lag follows
the partitions the member owns."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError
from prometheus_client import REGISTRY

from commerce.kernel.messaging.consumer import EventConsumer
from commerce.kernel.messaging.partitions import PartitionProgress
from commerce.kernel.messaging.settings import MessagingSettings

GROUP = "bookkeeping-test"


class FakeKafkaConsumer:
    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned = owned
        self.committed: list[dict[TopicPartition, int]] = []
        self.fail = False

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            raise CommitFailedError("the group rebalanced")
        self.committed.append(offsets)


async def ignore(_: object) -> None:
    return None


def commit_failures() -> float:
    value = REGISTRY.get_sample_value("commerce_consumer_commit_failures_total", {"group": GROUP})
    return value or 0.0


async def test_a_failed_commit_is_counted_and_only_owned_partitions_are_committed() -> None:
    consumer = EventConsumer(MessagingSettings(), GROUP, ["t"], ignore, publisher=object())  # type: ignore[arg-type]
    owned, lost = TopicPartition("t", 0), TopicPartition("t", 1)
    kafka = FakeKafkaConsumer({owned})
    await consumer._commit(kafka, {owned: 5, lost: 9})  # type: ignore[arg-type]
    assert kafka.committed == [{owned: 5}]

    before = commit_failures()
    kafka.fail = True
    await consumer._commit(kafka, {owned: 6})  # type: ignore[arg-type]
    assert commit_failures() == before + 1


class FakeFetchState:
    def __init__(self, owned: set[TopicPartition], highwater: dict[TopicPartition, int]) -> None:
        self.owned = owned
        self.highwaters = highwater

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters.get(tp)


async def test_lag_follows_progress_and_revoked_partitions_drop_out() -> None:
    first, second = TopicPartition("t", 0), TopicPartition("t", 1)
    progress = PartitionProgress()
    kafka = FakeFetchState({first, second}, {first: 10, second: 4})
    progress.processed(first, 7)
    progress.processed(second, 4)
    progress.refresh(kafka)  # type: ignore[arg-type]
    assert progress.lag_by_partition() == {("t", 0): 3, ("t", 1): 0}
    assert progress.lag == 3

    await progress.on_partitions_revoked([first])
    assert progress.lag_by_partition() == {("t", 1): 0}  # gone at once, not stale
    kafka.owned = {second}
    kafka.highwaters[second] = 9
    progress.refresh(kafka)  # type: ignore[arg-type]
    assert progress.lag == 5
