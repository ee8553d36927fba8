"""The consumer applying a poll's messages in one transaction (ADR 0043), against the real
broker and both databases: effects once, poison isolated, order kept, partitions together."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import event as sa_event
from sqlalchemy import select

from commerce.contracts import EventEnvelope, dlq_topic
from commerce.contracts.ordering import OrderCancelled
from commerce.kernel.batching import in_shared_transaction
from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.kernel.messaging.consumer import EventConsumer
from commerce.kernel.messaging.processing import PermanentError
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.messaging.unit_of_work import MessagingUnitOfWork, OutboxMessage
from tests.broker import eventually, read_topic
from tests.integration.kernel.messaging.conftest import Kafka, Schema
from tests.integration.kernel.messaging.helpers import count, event

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Answered(DomainEvent):
    envelope: EventEnvelope = field(default_factory=lambda: event("none"))


class Answering(AggregateRoot):
    """Answers each event it is given with an event of its own (as every saga step does)."""

    def __init__(self, envelope: EventEnvelope) -> None:
        super().__init__()
        self.record(Answered(envelope=envelope))


class EffectsUnitOfWork(MessagingUnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aggregates: list[AggregateRoot] = []

    def _aggregates(self) -> Iterable[AggregateRoot]:
        return self.aggregates

    def _outbox_message(self, aggregate: AggregateRoot, event: DomainEvent) -> OutboxMessage:
        assert isinstance(event, Answered)
        answer = EventEnvelope.wrap(OrderCancelled(order_id=f"answer-{event.envelope.id}"), "t")
        return OutboxMessage("answers", "one-key", answer)


class Handler:
    """The shape every service's handler has: inbox and effect in one unit of work."""

    def __init__(self, database: Database, schema: Schema, poison: str | None = None) -> None:
        self.database, self.schema, self.poison = database, schema, poison
        self.seen: list[tuple[str, bool]] = []  # (event id, inside a shared transaction)

    async def __call__(self, envelope: EventEnvelope) -> None:
        self.seen.append((envelope.id, in_shared_transaction()))
        uow = EffectsUnitOfWork(
            self.database.connections,
            outbox=self.schema.outbox,
            inbox=self.schema.inbox,
            consumer="test",
        )
        async with uow:
            if not await uow.first_delivery(envelope.id):
                return
            await self.apply(uow, envelope)
            if envelope.id == self.poison:
                raise PermanentError("this one can never be applied")
            await uow.commit()

    async def apply(self, uow: EffectsUnitOfWork, envelope: EventEnvelope) -> None:
        await uow.session.execute(self.schema.effects.insert().values(event_id=envelope.id))


class AnsweringHandler(Handler):
    async def apply(self, uow: EffectsUnitOfWork, envelope: EventEnvelope) -> None:
        uow.aggregates.append(Answering(envelope))


def batched(kafka: Kafka, handler: Handler, database: Database) -> EventConsumer:
    settings = MessagingSettings.model_validate(kafka.settings.model_dump())
    return EventConsumer(
        settings,
        kafka.group,
        [kafka.topic],
        handler,
        publisher=kafka.publisher,
        admin=kafka.admin,
        batch_transaction=lambda: shared_transaction(database.connections),
    )


async def consume_all(kafka: Kafka, handler: Handler, database: Database, sent: int) -> None:
    """Run a batched consumer until it saw ``sent`` messages and has no lag left."""
    consumer = batched(kafka, handler, database)
    await consumer.start()
    try:
        await eventually(lambda: consumer.lag == 0 and len(handler.seen) >= sent)
    finally:
        await consumer.stop()


def commits_counted(database: Database) -> list[int]:
    commits = [0]

    def counted(*_: object) -> None:
        commits[0] += 1

    sa_event.listen(database.engine.sync_engine, "commit", counted)
    return commits


def inbox_inserts_counted(database: Database, schema: Schema) -> list[int]:
    return inserts_counted(database, schema.inbox.name)


def inserts_counted(database: Database, table: str) -> list[int]:
    inserts = [0]

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            inserts[0] += 1

    sa_event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
    return inserts


async def test_a_batch_is_applied_in_one_transaction_in_order(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    events = [event(f"o{i}") for i in range(20)]
    await kafka.send(*events)  # one key: one partition, one poll
    handler = Handler(database, schema)
    commits = commits_counted(database)
    inserts = inbox_inserts_counted(database, schema)

    await consume_all(kafka, handler, database, len(events))

    assert [event_id for event_id, _ in handler.seen] == [e.id for e in events]
    assert all(shared for _, shared in handler.seen[1:])
    assert await count(database, schema.effects) == len(events)
    assert await count(database, schema.inbox) == len(events)
    assert commits[0] < len(events)  # batches, not a commit per message
    assert inserts[0] == commits[0]  # one inbox INSERT per batch committed (ADR 0047)
    assert await kafka.committed() == len(events)


async def test_a_batchs_answers_go_to_the_outbox_in_one_insert_in_order(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    events = [event(f"o{i}") for i in range(20)]
    await kafka.send(*events)  # one key: one partition, one poll
    handler = AnsweringHandler(database, schema)
    commits = commits_counted(database)
    outbox_inserts = inserts_counted(database, schema.outbox.name)

    await consume_all(kafka, handler, database, len(events))

    assert commits[0] < len(events)  # batches, not a commit per message
    assert outbox_inserts[0] == commits[0]  # one outbox INSERT per batch committed
    async with database.connections() as session:
        rows = await session.execute(select(schema.outbox.c.payload).order_by(schema.outbox.c.id))
        answered = [EventEnvelope.from_json(payload.encode()) for (payload,) in rows]
    assert [a.data["order_id"] for a in answered] == [f"answer-{e.id}" for e in events]


async def test_a_poison_message_in_a_batch_is_dead_lettered_and_the_others_committed(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    events = [event(f"o{i}") for i in range(6)]
    poison = events[3]
    await kafka.send(*events)
    handler = Handler(database, schema, poison=poison.id)

    consumer = batched(kafka, handler, database)
    await consumer.start()
    try:
        # 4 in the batch (up to the poison), then all 6 one by one.
        await eventually(lambda: consumer.lag == 0 and len(handler.seen) >= 4 + 6)
    finally:
        await consumer.stop()

    # The batch got as far as the poison, was undone, then went one by one.
    assert [event_id for event_id, _ in handler.seen][:4] == [e.id for e in events[:4]]
    assert [e for e, shared in handler.seen if not shared][-6:] == [e.id for e in events]
    assert await count(database, schema.effects) == 5
    assert await count(database, schema.inbox) == 5  # the poison's inbox row was undone too
    dead = await read_topic(kafka.settings.kafka_bootstrap_servers, dlq_topic(kafka.topic))
    assert [record.value for record in dead] == [poison.to_json()]
    assert await kafka.committed() == 6


def keys_on_every_partition(kafka: Kafka) -> list[str]:
    """One message key per partition of the test's topic (as the producer places keys)."""
    partitions = list(range(kafka.settings.kafka_topic_partitions))
    place = DefaultPartitioner()
    found: dict[int, str] = {}
    for index in range(1000):
        key = f"key-{index}"
        found.setdefault(place(key.encode(), partitions, partitions), key)
        if len(found) == len(partitions):
            return [found[partition] for partition in partitions]
    raise AssertionError("no key found for some partition")


async def send_spread(kafka: Kafka, per_key: int) -> dict[str, list[EventEnvelope]]:
    """``per_key`` events on each partition's key, sent before anyone consumes."""
    sent = {
        key: [event(f"{key}-{i}") for i in range(per_key)] for key in keys_on_every_partition(kafka)
    }
    for key, events in sent.items():
        await kafka.send(*events, key=key)
    return sent


async def test_a_poll_over_several_partitions_is_applied_in_one_transaction(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    sent = await send_spread(kafka, per_key=4)
    everything = [e.id for events in sent.values() for e in events]
    handler = Handler(database, schema)
    commits = commits_counted(database)

    await consume_all(kafka, handler, database, len(everything))

    seen = [event_id for event_id, _ in handler.seen]
    assert sorted(seen) == sorted(everything)
    for events in sent.values():  # each partition in its order
        ids = [e.id for e in events]
        assert [event_id for event_id in seen if event_id in ids] == ids
    assert all(shared for _, shared in handler.seen)
    assert await count(database, schema.effects) == len(everything)
    # A transaction per partition would commit at least once per partition.
    assert commits[0] < len(sent)
    assert await kafka.committed() == len(everything)


async def test_a_poison_message_in_a_poll_over_several_partitions_holds_back_only_itself(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    sent = await send_spread(kafka, per_key=3)
    everything = [e for events in sent.values() for e in events]
    poison = next(iter(sent.values()))[1]
    handler = Handler(database, schema, poison=poison.id)

    others = {e.id for e in everything} - {poison.id}

    def applied() -> set[str]:
        return {event_id for event_id, _ in handler.seen} - {poison.id}

    async def done() -> bool:
        # The poison is seen the third time before the event after it in its partition is
        # handled and committed: wait for those effects too, not only for an empty lag.
        return (
            consumer.lag == 0
            and sum(e == poison.id for e, _ in handler.seen) >= 3
            and await count(database, schema.effects) >= len(others)
        )

    consumer = batched(kafka, handler, database)
    await consumer.start()
    try:
        await eventually(done)
    finally:
        await consumer.stop()

    # Together first (undone at the poison), then partition by partition: the poison's
    # partition once more in a batch and then one by one, where the poison is parked.
    assert applied() == others
    assert await count(database, schema.effects) == len(everything) - 1
    assert await count(database, schema.inbox) == len(everything) - 1
    dead = await read_topic(kafka.settings.kafka_bootstrap_servers, dlq_topic(kafka.topic))
    assert [record.value for record in dead] == [poison.to_json()]
    assert await kafka.committed() == len(everything)


async def test_the_next_poll_is_processed_while_the_last_ones_offsets_are_committed(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    handler = Handler(database, schema)
    consumer = batched(kafka, handler, database)
    commit = consumer._commit
    released = asyncio.Event()
    asked: list[int] = []

    async def slow_commit(kafka_consumer: object, offsets: dict[object, int]) -> None:
        asked.append(sum(offsets.values()))
        await released.wait()  # the broker takes its time to answer
        await commit(kafka_consumer, offsets)  # type: ignore[arg-type]

    consumer._commit = slow_commit  # type: ignore[method-assign]
    first, second = [event(f"a{i}") for i in range(2)], [event(f"b{i}") for i in range(2)]
    await kafka.send(*first)
    await consumer.start()
    try:
        await eventually(lambda: asked == [2])
        await kafka.send(*second)
        # Processed although the first poll's commit has not been answered yet.
        await eventually(lambda: len(handler.seen) == 4)
        assert asked == [2], "one commit at a time: the second waits for the first"
        released.set()
        await eventually(lambda: asked == [2, 4])
    finally:
        await consumer.stop()
    assert await kafka.committed() == 4


async def test_redelivery_after_a_crash_between_the_two_commits_applies_nothing_twice(
    kafka: Kafka, database: Database, schema: Schema
) -> None:
    events = [event(f"o{i}") for i in range(8)]
    await kafka.send(*events)
    handler = Handler(database, schema)
    crashing = batched(kafka, handler, database)
    # The database commit happens; the offset commit never does (the process "dies").
    stuck = asyncio.Event()

    async def never_commits(*_: object) -> None:
        await stuck.wait()

    crashing._commit = never_commits  # type: ignore[method-assign]
    await crashing.start()
    await eventually(lambda: len(handler.seen) >= len(events))

    async def all_applied() -> bool:
        return await count(database, schema.effects) == len(events)

    await eventually(all_applied)
    await crashing.stop(grace_seconds=0.1)
    assert await kafka.committed() == 0

    again = Handler(database, schema)
    restarted = batched(kafka, again, database)
    await restarted.start()
    try:
        await eventually(lambda: restarted.lag == 0 and len(again.seen) >= len(events))
    finally:
        await restarted.stop()
    assert await count(database, schema.effects) == len(events)
    assert await kafka.committed() == len(events)
