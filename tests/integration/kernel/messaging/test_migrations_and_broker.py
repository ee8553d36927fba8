"""The migration helpers build tables the plumbing works with; the embedded broker's life."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from commerce.kernel.db import Database
from commerce.kernel.messaging.admin import TopicAdmin
from commerce.kernel.messaging.embedded_broker import AUTO_CREATED_TOPIC_PARTITIONS, EmbeddedBroker
from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.inbox import first_delivery, inbox_table
from commerce.kernel.messaging.migrations import create_messaging_tables, drop_messaging_tables
from commerce.kernel.messaging.outbox import outbox_table
from commerce.kernel.messaging.relay import OutboxRelay
from commerce.kernel.messaging.settings import MessagingSettings
from tests.broker import fast_settings
from tests.integration.kernel.messaging.helpers import write_events

pytestmark = pytest.mark.integration


def _shape(connection: Connection) -> dict[str, object]:
    inspector = inspect(connection)
    return {
        name: (
            sorted(c["name"] for c in inspector.get_columns(name)),
            sorted(
                (i["name"], tuple(i["column_names"]))
                for i in inspector.get_indexes(name)
                if i["name"].startswith("ix_")
            ),
        )
        for name in sorted(inspector.get_table_names())
    }


async def test_migrated_tables_match_the_declared_ones_and_work(database_url: str) -> None:
    database = await Database.open(database_url, service_package="unused", migrate=False)
    try:

        def migrate(connection: Connection) -> dict[str, object]:
            create_messaging_tables(Operations(MigrationContext.configure(connection)))
            return _shape(connection)

        async with database.engine.begin() as connection:
            migrated = await connection.run_sync(migrate)

        metadata = MetaData()
        outbox, inbox = outbox_table(metadata), inbox_table(metadata)
        await write_events(database, outbox, "t", ["a", "b"])
        relay = OutboxRelay(database.connections, outbox, InMemoryPublisher(), MessagingSettings())
        assert await relay.run_once() == 2
        async with database.connections() as session:
            assert await first_delivery(session, inbox, consumer="c", event_id="e")
            await session.commit()

        def drop_then_declare(connection: Connection) -> dict[str, object]:
            drop_messaging_tables(Operations(MigrationContext.configure(connection)))
            assert inspect(connection).get_table_names() == []
            metadata.create_all(connection)
            return _shape(connection)

        async with database.engine.begin() as connection:
            declared = await connection.run_sync(drop_then_declare)
        assert migrated == declared
    finally:
        await database.close()


async def test_the_embedded_broker_restarts_on_its_port_as_a_new_empty_cluster(
    tmp_path: Path,
) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    broker.start()
    try:
        port, first_cluster = broker.port, broker.cluster_id
        admin = TopicAdmin(fast_settings(broker.bootstrap_servers))
        assert await admin.ensure_topics(["t"]) == ["t"]
        assert await admin.ensure_topics(["t"]) == []  # idempotent
        assert await admin.cluster_id() == first_cluster

        broker.restart()
        assert broker.port == port
        assert await admin.cluster_id() == broker.cluster_id != first_cluster
        assert "t" not in await admin.existing_topics()  # the log is gone
        await admin.close()
    finally:
        broker.stop()
    assert not broker.running
    assert not broker.exited()  # stopped on purpose
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    broker.stop()  # twice is fine


async def test_a_topic_the_broker_creates_on_its_own_is_laid_out_as_the_services_create_theirs(
    tmp_path: Path,
) -> None:
    # After a restart, a producer asking about a topic before its service re-created it makes
    # the broker create it; a consumer that assumed the other layout once left a partition
    # unread (docs/adr/0045, later section).
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    admin = TopicAdmin(fast_settings(broker.bootstrap_servers))
    try:
        await admin.ensure_topics(["made.by.the.service"])
        await producer.start()
        await producer.send_and_wait("made.by.the.broker", b"{}", key=b"k")
        by_the_broker = await producer.partitions_for("made.by.the.broker")
        by_the_service = await producer.partitions_for("made.by.the.service")
        assert by_the_broker == by_the_service == set(range(AUTO_CREATED_TOPIC_PARTITIONS))
    finally:
        await producer.stop()
        await admin.close()
        broker.stop()
