"""Consumer lag from the embedded broker: a group's committed offsets against the end
offsets, and "unknown" (never an error) when the broker does not answer."""

from __future__ import annotations

import pytest

from commerce.contracts import EventEnvelope, OrderCancelled
from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.lag import consumer_lag
from tests.broker import eventually, fast_settings
from tests.integration.kernel.messaging.conftest import Kafka

pytestmark = pytest.mark.integration


def lag_of(report_rows: list, topic: str) -> int | None:  # type: ignore[type-arg]
    lags = [row.lag for row in report_rows if row.topic == topic]
    return None if None in lags else sum(lags)


async def test_lag_is_what_the_group_has_not_committed(kafka: Kafka) -> None:
    for n in range(3):  # one batch each: see the note on Tansu in docs/adr/0049
        await kafka.send(EventEnvelope.wrap(OrderCancelled(order_id=f"o{n}"), "order"))
    groups = {kafka.group: (kafka.topic,)}

    before = await consumer_lag(kafka.settings, kafka.admin, groups)
    assert before.available and before.detail is None
    assert {row.group for row in before.partitions} == {kafka.group}
    assert lag_of(before.partitions, kafka.topic) == 3
    assert sum(row.end or 0 for row in before.partitions) == 3
    assert all(row.committed is None for row in before.partitions)

    handled: list[EventEnvelope] = []

    async def handler(envelope: EventEnvelope) -> None:
        handled.append(envelope)

    consumer = kafka.consumer(handler)
    await consumer.start()
    try:
        await eventually(lambda: len(handled) == 3)

        async def caught_up() -> bool:
            report = await consumer_lag(kafka.settings, kafka.admin, groups)
            return lag_of(report.partitions, kafka.topic) == 0

        await eventually(caught_up)
    finally:
        await consumer.stop()


async def test_a_broker_that_does_not_answer_gives_unknown_lag() -> None:
    settings = fast_settings("127.0.0.1:9", kafka_request_timeout_seconds=0.5)
    admin = TopicAdmin(settings)
    try:
        report = await consumer_lag(settings, admin, {"g": ("t",)}, timeout_seconds=1.0)
    finally:
        await admin.close()
    assert not report.available and report.detail
    assert [(row.group, row.topic, row.lag) for row in report.partitions] == [("g", "t", None)]
