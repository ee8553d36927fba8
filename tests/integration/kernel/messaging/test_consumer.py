"""The consumer runner against the real broker: commit after the effect, redelivery, DLQ."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from commerce.contracts import EventEnvelope, dlq_topic
from commerce.kernel.db import Database
from tests.broker import eventually, read_topic
from tests.integration.kernel.messaging.conftest import Kafka, Schema
from tests.integration.kernel.messaging.helpers import apply_once, count, event, metric

pytestmark = pytest.mark.integration


async def test_publish_consume_commit(kafka: Kafka) -> None:
    events = [event(f"o{i}") for i in range(6)]
    for index, envelope in enumerate(events):
        await kafka.send(envelope, key=f"o{index}")
    received: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        received.append(envelope.id)

    consumer = kafka.consumer(handler)
    await consumer.start()
    try:
        await eventually(lambda: len(received) == len(events))
        await eventually(lambda: consumer.lag == 0)
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(e.id for e in events)
    assert await kafka.committed() == len(events)
    assert kafka.metric("commerce_consumer_handled_total") == len(events)
    assert kafka.metric("commerce_consumer_dead_letters_total") == 0


async def test_redelivery_after_a_crash_before_the_commit_is_applied_once(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    envelope = event("o1")
    await kafka.send(envelope)
    first_results: list[bool] = []

    async def crashes_after_its_effect(delivered: EventEnvelope) -> None:
        first_results.append(await apply_once(database, schema.inbox, schema.effects, delivered))
        await asyncio.Event().wait()  # the process dies here: effect committed, offset not

    crashing = kafka.consumer(crashes_after_its_effect)
    await crashing.start()
    await eventually(lambda: first_results == [True])
    await crashing.stop(grace_seconds=0.1)
    assert await kafka.committed() == 0

    second_results: list[bool] = []

    async def handler(delivered: EventEnvelope) -> None:
        second_results.append(await apply_once(database, schema.inbox, schema.effects, delivered))

    restarted = kafka.consumer(handler)
    await restarted.start()
    try:
        await eventually(lambda: second_results == [False])  # redelivered, and a no-op
        await eventually(lambda: restarted.lag == 0)
    finally:
        await restarted.stop()
    assert await count(database, schema.effects) == 1
    assert await kafka.committed() == 1


async def test_a_poison_message_goes_to_the_dlq_and_the_partition_moves_on(kafka: Kafka) -> None:
    garbage = b"\x00 definitely not an event"
    poison, good = event("poison"), event("good")
    await kafka.send(garbage, poison, good)  # one key: one partition, in this order
    attempts: list[str] = []
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        if envelope.id == poison.id:
            attempts.append(envelope.id)
            raise RuntimeError("the handler cannot cope")
        handled.append(envelope.id)

    consumer = kafka.consumer(handler)
    await consumer.start()
    try:
        await eventually(lambda: handled == [good.id])
        await eventually(lambda: consumer.lag == 0)
    finally:
        await consumer.stop()
    assert len(attempts) == kafka.settings.consumer_max_attempts
    assert kafka.metric("commerce_consumer_dead_letters_total") == 2
    assert kafka.metric("commerce_consumer_handled_total") == 1
    retries = kafka.metric("commerce_consumer_retries_total", reason="error")
    assert retries == kafka.settings.consumer_max_attempts - 1
    assert await kafka.committed() == 3

    dead = await read_topic(kafka.settings.kafka_bootstrap_servers, dlq_topic(kafka.topic))
    assert [record.value for record in dead] == [garbage, poison.to_json()]
    headers = [{k: v.decode() for k, v in record.headers} for record in dead]
    assert headers[0]["dlq.error.type"] == "ValidationError"
    assert headers[0]["dlq.attempts"] == "0"
    assert headers[1]["dlq.error.type"] == "RuntimeError"
    assert headers[1]["dlq.error.message"] == "the handler cannot cope"
    assert headers[1]["dlq.attempts"] == str(kafka.settings.consumer_max_attempts)
    assert headers[1]["dlq.original.topic"] == kafka.topic
    assert headers[1]["dlq.original.offset"] == "1"
    assert headers[1]["dlq.consumer.group"] == kafka.group
    assert all(record.key == b"k" for record in dead)


async def test_a_database_outage_outlasting_the_retries_is_waited_out_not_dead_lettered(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    slow, bad, after = event("slow"), event("bad"), event("after")
    await kafka.send(slow, bad, after)  # one key: one partition, in this order
    outage_failures = 25  # the old budget gave up after consumer_max_attempts (3) tries
    calls = {slow.id: 0, bad.id: 0, after.id: 0}

    async def handler(envelope: EventEnvelope) -> None:
        calls[envelope.id] += 1
        if envelope.id == slow.id and calls[slow.id] <= outage_failures:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("database restarting"))
        if envelope.id == bad.id:
            raise ValueError("not a valid amount")
        await apply_once(database, schema.inbox, schema.effects, envelope)

    # In-place retries of 0.2 s, so the outage (more than a second of backoff) is also handed
    # back to the poll loop several times; a member that stopped polling for a second would
    # be put out of its group.
    consumer = kafka.consumer(
        handler, consumer_outage_retry_seconds=0.2, consumer_max_poll_interval_seconds=1.0
    )
    await consumer.start()
    try:
        await eventually(lambda: calls[after.id] == 1)
        await eventually(lambda: consumer.lag == 0)
    finally:
        await consumer.stop()
    assert calls[slow.id] == outage_failures + 1
    assert calls[bad.id] == kafka.settings.consumer_max_attempts
    assert await count(database, schema.effects) == 2  # slow and after, once each
    assert await kafka.committed() == 3
    assert kafka.metric("commerce_consumer_dead_letters_total") == 1
    assert kafka.metric("commerce_consumer_retries_total", reason="outage") == outage_failures
    assert metric("commerce_consumer_commit_failures_total", group=kafka.group) == 0

    dead = await read_topic(kafka.settings.kafka_bootstrap_servers, dlq_topic(kafka.topic))
    assert [record.value for record in dead] == [bad.to_json()]
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["dlq.error.type"] == "ValueError"
