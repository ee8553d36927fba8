"""What a consumer knows about the partitions it owns: how far it got, and how far behind it
is (high watermark - position), kept up to date across rebalances.

The lag map is what ``commerce_consumer_lag_messages`` reads at scrape time; a partition a
rebalance took away leaves it at once instead of showing a stale number.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition


class PartitionProgress(ConsumerRebalanceListener):  # type: ignore[misc]
    """The rebalance listener of a consumer and its lag accounting."""

    def __init__(self) -> None:
        self._next_offsets: dict[TopicPartition, int] = {}
        self._lag: dict[tuple[str, int], int] = {}

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            self._lag.pop(tp, None)
            self._next_offsets.pop(tp, None)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None  # lag appears with the first poll of a partition

    def processed(self, tp: TopicPartition, next_offset: int) -> None:
        """The member is done with ``tp`` up to (not including) ``next_offset``."""
        self._next_offsets[tp] = next_offset

    def refresh(self, consumer: AIOKafkaConsumer) -> None:
        """Recompute the lag of the owned partitions from the last fetch's high watermarks."""
        lag: dict[tuple[str, int], int] = {}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            position = self._next_offsets.get(tp)
            if highwater is not None and position is not None:
                lag[tp] = max(0, highwater - position)
            elif highwater is not None:
                lag[tp] = self._lag.get(tp, 0)
        self._lag = lag

    def reset(self) -> None:
        """Forget positions (the member left the group; it resumes from committed offsets)."""
        self._next_offsets.clear()

    def lag_by_partition(self) -> Mapping[tuple[str, int], int]:
        """``(topic, partition) -> lag`` of the owned partitions, as of the last poll."""
        return self._lag

    @property
    def lag(self) -> int:
        return sum(self._lag.values())
