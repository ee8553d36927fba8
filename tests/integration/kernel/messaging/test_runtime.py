"""A service's whole messaging (topics, relay, consumer) through broker outages and restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table

from commerce.contracts import EventEnvelope
from commerce.kernel.db import Database
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.consumer import EventConsumer
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker, free_port
from commerce.kernel.messaging.runtime import Messaging
from tests.broker import eventually, fast_settings, unique_topic
from tests.integration.kernel.messaging.conftest import Schema
from tests.integration.kernel.messaging.helpers import apply_once, count, write_events

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker for this test alone, not started yet: the test decides when it runs."""
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    try:
        yield broker
    finally:
        broker.stop()


async def test_every_event_arrives_once_in_effect_across_a_broker_restart(
    database: Database, schema: Schema, own_broker: EmbeddedBroker
) -> None:
    own_broker.start()
    topic = unique_topic("restart")
    access = KafkaAccess(produces=(topic,), consumes={"restart-test": (topic,)})
    messaging = Messaging(
        fast_settings(own_broker.bootstrap_servers), database, schema.outbox, access
    )
    deliveries: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        deliveries.append(envelope.id)
        await apply_once(database, schema.inbox, schema.effects, envelope)

    await messaging.start(consumers=[("restart-test", [topic], handler)])
    try:
        before = await write_events(database, schema.outbox, topic, [f"o{i}" for i in range(10)])
        await eventually(lambda: _at_least(database, schema, len(before)))

        own_broker.restart()  # same port, empty log, new cluster id

        after = await write_events(database, schema.outbox, topic, [f"o{i}" for i in range(10)])
        await eventually(lambda: _at_least(database, schema, len(before) + len(after)))
        await messaging.ping()
    finally:
        await messaging.stop()
    assert await count(database, schema.effects) == len(before) + len(after)
    assert set(deliveries) == {e.id for e in before + after}


async def _count_is(database: Database, table: Table, expected: int, *where: object) -> bool:
    return await count(database, table, *where) == expected


async def _at_least(database: Database, schema: Schema, expected: int) -> bool:
    return await count(database, schema.effects) >= expected


async def test_a_service_starts_while_the_broker_is_down_and_catches_up(
    database: Database, schema: Schema, own_broker: EmbeddedBroker
) -> None:
    settings = fast_settings(f"127.0.0.1:{own_broker.port}", kafka_request_timeout_seconds=2.0)
    topic = unique_topic("late")
    access = KafkaAccess(produces=(topic,), consumes={"late-test": (topic,)})
    messaging = Messaging(settings, database, schema.outbox, access)
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        handled.append(envelope.id)

    await messaging.start(consumers=[("late-test", [topic], handler)])  # does not fail
    try:
        with pytest.raises(Exception):  # noqa: B017 - any failure means "not ready"
            await messaging.ping()
        written = await write_events(database, schema.outbox, topic, ["a", "b", "c"])
        assert (await messaging.relay.housekeeping.backlog()).pending == 3  # kept safe meanwhile

        own_broker.start()
        await eventually(lambda: len(handled) >= 3)
        await messaging.ping()
        await eventually(lambda: messaging.relay.last_backlog.pending == 0)
    finally:
        await messaging.stop()
    assert sorted(set(handled)) == sorted(e.id for e in written)


async def test_events_published_but_not_consumed_survive_the_broker_losing_its_log(
    database: Database, schema: Schema, own_broker: EmbeddedBroker
) -> None:
    own_broker.start()
    settings = fast_settings(own_broker.bootstrap_servers)
    topic = unique_topic("lost-log")
    messaging = Messaging(settings, database, schema.outbox, KafkaAccess(produces=(topic,)))
    await messaging.start()  # the relay only: nobody consumes yet
    handled: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        handled.append(envelope.id)

    consumer = EventConsumer(settings, "late-reader", [topic], handler, admin=messaging.admin)
    try:
        written = await write_events(database, schema.outbox, topic, ["a", "b", "c", "d"])
        published = schema.outbox.c.published_at.is_not(None)
        await eventually(lambda: _count_is(database, schema.outbox, len(written), published))
        cluster_before = own_broker.cluster_id

        own_broker.restart()  # the published events die with the broker's log
        assert own_broker.cluster_id != cluster_before

        await consumer.start()
        await eventually(lambda: set(handled) >= {e.id for e in written})
    finally:
        await consumer.stop()
        await messaging.stop()


async def test_the_inbox_forgets_events_only_after_its_retention(
    database: Database, schema: Schema, embedded_broker: EmbeddedBroker
) -> None:
    from sqlalchemy import insert

    from commerce.kernel.messaging.columns import db_now

    now = db_now()
    async with database.connections.begin() as session:
        await session.execute(
            insert(schema.inbox),
            [
                {"consumer": "c", "event_id": "old", "processed_at": now - timedelta(hours=2)},
                {"consumer": "c", "event_id": "new", "processed_at": now},
            ],
        )
    settings = fast_settings(
        embedded_broker.bootstrap_servers,
        inbox_retention_seconds=3600.0,
        inbox_purge_interval_seconds=0.05,
    )
    messaging = Messaging(settings, database, schema.outbox, KafkaAccess(), inbox=schema.inbox)
    await messaging.start()
    try:
        await eventually(lambda: _only_new_left(database, schema))
    finally:
        await messaging.stop()
    assert await _inbox_ids(database, schema) == {"new"}


async def _inbox_ids(database: Database, schema: Schema) -> set[str]:
    from sqlalchemy import select

    async with database.connections() as session:
        return set((await session.scalars(select(schema.inbox.c.event_id))).all())


async def _only_new_left(database: Database, schema: Schema) -> bool:
    return await _inbox_ids(database, schema) == {"new"}


async def test_resolved_dead_letters_are_forgotten_after_their_retention_open_ones_never(
    database: Database, schema: Schema, embedded_broker: EmbeddedBroker
) -> None:
    from sqlalchemy import insert, select

    from commerce.kernel.domain import utc_now
    from commerce.kernel.messaging.dead_letter_records import dead_letters_table

    letters = dead_letters_table(schema.metadata)
    async with database.engine.begin() as connection:
        await connection.run_sync(letters.create)
    now = utc_now()
    long_ago = now - timedelta(days=40)

    def letter(offset: int, status: str, resolved_at: object) -> dict[str, object]:
        return {
            "consumer_group": "g",
            "topic": "t",
            "kafka_partition": 0,
            "kafka_offset": offset,
            "value": "{}",
            "headers": "{}",
            "error_type": "ValueError",
            "error_message": "bad",
            "attempts": 1,
            "failed_at": long_ago,
            "status": status,
            "resolved_at": resolved_at,
        }

    async with database.connections.begin() as session:
        await session.execute(
            insert(letters),
            [
                letter(1, "OPEN", None),  # never resolved: kept however old
                letter(2, "REPLAYED", long_ago),  # resolved long ago: forgotten
                letter(3, "DISCARDED", now),  # resolved now: kept for its retention
            ],
        )
    settings = fast_settings(
        embedded_broker.bootstrap_servers,
        dead_letter_retention_seconds=30 * 24 * 3600.0,
        inbox_purge_interval_seconds=0.05,
    )
    messaging = Messaging(
        settings, database, schema.outbox, KafkaAccess(), inbox=schema.inbox, dead_letters=letters
    )

    async def offsets_left() -> set[int]:
        async with database.connections() as session:
            return set((await session.scalars(select(letters.c.kafka_offset))).all())

    async def purged() -> bool:
        return await offsets_left() == {1, 3}

    await messaging.start()
    try:
        await eventually(purged)
    finally:
        await messaging.stop()
    assert await offsets_left() == {1, 3}
