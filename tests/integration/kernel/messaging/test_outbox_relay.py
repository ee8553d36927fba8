"""The outbox relay on real databases (SQLite file, MariaDB), publishing to the real broker."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import select

from commerce.contracts import EventEnvelope
from commerce.kernel.db import Database
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.outbox import add_to_outbox
from commerce.kernel.messaging.publisher import KafkaPublisher, OutgoingMessage
from commerce.kernel.messaging.relay import OutboxRelay
from commerce.kernel.messaging.settings import MessagingSettings
from tests.broker import eventually, fast_settings, read_topic, unique_topic
from tests.integration.kernel.messaging.conftest import Schema
from tests.integration.kernel.messaging.helpers import count, event, metric, write_events
from tests.integration.statements import recorded_statements

pytestmark = pytest.mark.integration


PUBLISHED = "commerce_outbox_published_total"
PUBLISH_FAILURES = "commerce_outbox_publish_failures_total"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class HangingPublisher:
    """A relay that claimed its rows and then hangs, as a process that died would."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def publish(self, messages: list[OutgoingMessage]) -> list[BaseException | None]:
        self.called.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_two_relays_publish_every_row_exactly_once_in_key_order(
    database: Database, schema: Schema, embedded_broker: EmbeddedBroker
) -> None:
    topic = unique_topic("relay")
    keys = [f"order-{i % 60}" for i in range(240)]
    written = await write_events(database, schema.outbox, topic, keys)
    settings = fast_settings(embedded_broker.bootstrap_servers, outbox_batch_size=25)
    publishers = [KafkaPublisher(settings), KafkaPublisher(settings)]
    relays = [OutboxRelay(database.connections, schema.outbox, p, settings) for p in publishers]

    async def drain(relay: OutboxRelay) -> int:
        handled = 0
        while True:
            round_handled = await relay.run_once()
            handled += round_handled
            if not round_handled and (await relay.housekeeping.backlog()).pending == 0:
                return handled
            if not round_handled:
                await asyncio.sleep(0.01)

    try:
        handled = await asyncio.gather(*(drain(relay) for relay in relays))
    finally:
        for publisher in publishers:
            await publisher.stop()

    assert sum(handled) == len(written)
    assert all(share > 0 for share in handled), "both relays took part"
    records = await read_topic(embedded_broker.bootstrap_servers, topic)
    ids = [EventEnvelope.from_json(r.value).id for r in records]
    assert sorted(ids) == sorted(e.id for e in written)  # each exactly once
    by_key: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[record.key.decode()].append(EventEnvelope.from_json(record.value).id)
    expected: dict[str, list[str]] = defaultdict(list)
    for key, envelope in zip(keys, written, strict=True):
        expected[key].append(envelope.id)
    assert by_key == expected  # every key's events in the order they were written
    assert await count(database, schema.outbox, schema.outbox.c.published_at.is_(None)) == 0


async def test_rows_carry_key_headers_and_the_trace_context(
    database: Database, schema: Schema, embedded_broker: EmbeddedBroker
) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    topic = unique_topic("trace")
    tracer = TracerProvider().get_tracer("test")
    envelope = event("o1")
    with tracer.start_as_current_span("request") as span:
        async with database.connections() as session:
            await add_to_outbox(session, schema.outbox, topic=topic, key="o1", envelope=envelope)
            await session.commit()
        trace_id = format(span.get_span_context().trace_id, "032x")
    settings = fast_settings(embedded_broker.bootstrap_servers)
    publisher = KafkaPublisher(settings)
    try:
        assert (
            await OutboxRelay(database.connections, schema.outbox, publisher, settings).run_once()
            == 1
        )
    finally:
        await publisher.stop()
    (record,) = await read_topic(embedded_broker.bootstrap_servers, topic)
    assert record.key == b"o1"
    assert EventEnvelope.from_json(record.value) == envelope
    headers = dict(record.headers)
    assert headers["traceparent"].decode().split("-")[1] == trace_id


async def test_a_relay_that_dies_after_claiming_loses_nothing(
    database: Database, schema: Schema
) -> None:
    clock = Clock()
    settings = MessagingSettings(outbox_claim_seconds=30)
    written = await write_events(database, schema.outbox, "t", ["a", "b", "c"])
    hanging = HangingPublisher()
    dying = OutboxRelay(database.connections, schema.outbox, hanging, settings, clock=clock)
    task = asyncio.create_task(dying.run_once())
    await hanging.called.wait()
    publisher = InMemoryPublisher()
    survivor = OutboxRelay(database.connections, schema.outbox, publisher, settings, clock=clock)
    assert await survivor.run_once() == 0  # the rows are being published by the other relay
    task.cancel()  # the relay "crashes" between claim and acknowledgement
    with pytest.raises(asyncio.CancelledError):
        await task

    if database.connections.dialect_name == "sqlite":
        assert await survivor.run_once() == 0  # still claimed by the dead relay
        clock.advance(31)
    # On MariaDB its transaction (and with it the rows' locks) ended with its connection.
    assert await survivor.run_once() == 3
    assert [e.id for e in publisher.envelopes()] == [e.id for e in written]
    assert (await survivor.housekeeping.backlog()).pending == 0


async def test_on_mariadb_a_round_is_one_transaction_and_on_sqlite_two(
    database: Database, schema: Schema
) -> None:
    await write_events(database, schema.outbox, "t", ["a", "b"])
    statements: list[str] = []
    commits: list[object] = []
    sync_engine = database.engine.sync_engine

    def executed(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0])

    def committed(connection) -> None:  # type: ignore[no-untyped-def]
        commits.append(connection)

    sqlalchemy.event.listen(sync_engine, "before_cursor_execute", executed)
    sqlalchemy.event.listen(sync_engine, "commit", committed)
    relay = OutboxRelay(
        database.connections, schema.outbox, InMemoryPublisher(), MessagingSettings()
    )
    try:
        assert await relay.run_once() == 2
    finally:
        sqlalchemy.event.remove(sync_engine, "before_cursor_execute", executed)
        sqlalchemy.event.remove(sync_engine, "commit", committed)
    if database.connections.dialect_name == "sqlite":
        # A plain read, the claim (one UPDATE ... RETURNING), then the settlement.
        assert (statements, len(commits)) == (["SELECT", "UPDATE", "UPDATE"], 2)
    else:
        # Locked, published, marked published: one transaction, no claim stamp.
        assert (statements, len(commits)) == (["SELECT", "UPDATE"], 1)
    assert (await relay.housekeeping.backlog()).pending == 0


async def test_a_failed_publication_is_retried_later_and_holds_back_its_key(
    database: Database, schema: Schema
) -> None:
    clock = Clock()
    settings = MessagingSettings()
    first, second, other = await write_events(database, schema.outbox, "t", ["k", "k", "x"])
    publisher = InMemoryPublisher()
    publisher.fail_next = 1  # the first row ("k") fails, "x" goes through
    relay = OutboxRelay(database.connections, schema.outbox, publisher, settings, clock=clock)
    failures, published = PUBLISH_FAILURES, PUBLISHED
    before = (metric(failures), metric(published))

    assert await relay.run_once() == 2  # "k" #1 and "x"; "k" #2 waits behind "k" #1
    assert (metric(failures), metric(published)) == (before[0] + 1, before[1] + 1)
    assert [e.id for e in publisher.envelopes()] == [other.id]
    async with database.connections() as session:
        row = (
            await session.execute(select(schema.outbox).where(schema.outbox.c.event_id == first.id))
        ).one()
    assert row.published_at is None
    assert row.attempts == 1
    assert "broker unavailable" in row.last_error

    assert await relay.run_once() == 0  # backing off; and "k" #2 may not overtake
    clock.advance(1)
    assert await relay.run_once() == 1
    assert await relay.run_once() == 1
    assert [e.id for e in publisher.envelopes()] == [other.id, first.id, second.id]
    assert (metric(failures), metric(published)) == (before[0] + 1, before[1] + 3)
    backlog = await relay.housekeeping.backlog()
    assert backlog.pending == 0


async def test_backlog_reports_count_and_age_and_purge_keeps_recent_rows(
    database: Database, schema: Schema
) -> None:
    clock = Clock()
    settings = MessagingSettings(outbox_retention_seconds=600)
    publisher = InMemoryPublisher()
    relay = OutboxRelay(database.connections, schema.outbox, publisher, settings, clock=clock)
    async with database.connections() as session:
        for name in ("a", "b"):
            await add_to_outbox(session, schema.outbox, topic="t", key=name, envelope=event(name))
        await session.execute(schema.outbox.update().values(created_at=clock.now))
        await session.commit()
    clock.advance(42)
    backlog = await relay.housekeeping.backlog()
    assert backlog.pending == 2
    assert backlog.oldest_age_seconds == pytest.approx(42)

    assert await relay.run_once() == 2
    assert await relay.housekeeping.backlog() == type(backlog)(0, 0.0)
    assert await relay.housekeeping.purge() == 0  # published, but kept for the retention period
    assert await count(database, schema.outbox) == 2
    clock.advance(601)
    assert await relay.housekeeping.purge() == 2
    assert await count(database, schema.outbox) == 0


async def test_with_no_retention_rows_are_deleted_once_published(
    database: Database, schema: Schema
) -> None:
    settings = MessagingSettings(outbox_retention_seconds=0)
    await write_events(database, schema.outbox, "t", ["a", "b"])
    relay = OutboxRelay(database.connections, schema.outbox, InMemoryPublisher(), settings)
    assert await relay.run_once() == 2
    assert await count(database, schema.outbox) == 0


async def test_retained_rows_are_published_again_when_the_broker_lost_its_log(
    database: Database, schema: Schema
) -> None:
    class Admin:
        cluster = "first"

        async def cluster_id(self) -> str:
            return self.cluster

        async def ensure_topics(self, topics: object) -> list[str]:
            return []

    admin = Admin()
    publisher = InMemoryPublisher()
    settings = fast_settings("unused:1")
    written = await write_events(database, schema.outbox, "t", ["a", "b"])
    relay = OutboxRelay(
        database.connections,
        schema.outbox,
        publisher,
        settings,
        admin=admin,  # type: ignore[arg-type]
    )
    await relay.start()
    try:
        await eventually(lambda: len(publisher.messages) == 2)
        watch = relay.housekeeping.cluster_watch
        assert watch is not None  # the test settings say the broker may lose its log
        await eventually(lambda: watch.cluster_id == "first")
        admin.cluster = "second"  # the broker came back empty
        await eventually(lambda: len(publisher.messages) == 4)
    finally:
        await relay.stop()
    ids = [e.id for e in publisher.envelopes()]
    assert ids == [e.id for e in written] * 2


async def test_against_a_broker_that_keeps_its_log_nothing_is_republished(
    database: Database, schema: Schema
) -> None:
    admin = object()  # never asked: nothing here watches the cluster
    for may_lose_log in (False, True):
        settings = fast_settings("unused:1", kafka_broker_may_lose_log=may_lose_log)
        relay = OutboxRelay(
            database.connections,
            schema.outbox,
            InMemoryPublisher(),
            settings,
            admin=admin,  # type: ignore[arg-type]
        )
        assert (relay.housekeeping.cluster_watch is not None) is may_lose_log


async def test_commits_wake_the_relay_and_it_keeps_going_without_waiting_for_the_poll(
    database: Database, schema: Schema
) -> None:
    settings = MessagingSettings(outbox_poll_interval_seconds=3600.0)  # the poll never comes
    publisher = WakingPublisher()
    relay = OutboxRelay(database.connections, schema.outbox, publisher, settings)
    publisher.relay = relay
    await relay.start()
    try:
        # Two events of one key: the second is claimable only after the first is published,
        # so it needs a second round right after the first.
        written = await write_events(database, schema.outbox, "t", ["k", "k"])
        relay.notify()
        await eventually(lambda: len(publisher.messages) == 2)

        # The next one fails and must be retried when its backoff ends, although a wake-up
        # (another commit) during the failed round cuts the relay's next sleep short.
        publisher.fail_next = 1
        written += await write_events(database, schema.outbox, "t", ["k"])
        relay.notify()
        await eventually(lambda: len(publisher.messages) == 3)
    finally:
        await relay.stop()
    assert [e.id for e in publisher.envelopes()] == [e.id for e in written]


async def test_a_keys_next_event_goes_in_the_round_after_without_a_wake_up(
    database: Database, schema: Schema
) -> None:
    settings = MessagingSettings(outbox_poll_interval_seconds=3600.0)  # the poll never comes
    publisher = InMemoryPublisher()  # and nothing wakes the relay mid-round
    relay = OutboxRelay(database.connections, schema.outbox, publisher, settings)
    written = await write_events(database, schema.outbox, "t", ["k", "k", "other"])
    await relay.start()
    try:
        relay.notify()
        await eventually(lambda: len(publisher.messages) == 3)
    finally:
        await relay.stop()
    assert [e.id for e in publisher.envelopes()] == [written[0].id, written[2].id, written[1].id]


async def test_on_mariadb_a_round_that_left_nothing_behind_runs_no_empty_round_after(
    database: Database, schema: Schema
) -> None:
    settings = MessagingSettings(outbox_poll_interval_seconds=3600.0)
    publisher = InMemoryPublisher()
    relay = OutboxRelay(database.connections, schema.outbox, publisher, settings)
    await write_events(database, schema.outbox, "t", ["a", "b"])
    with recorded_statements(database) as statements:
        await relay.start()  # its first round comes at once
        try:
            await eventually(lambda: len(publisher.messages) == 2)
            await asyncio.sleep(0.3)  # room for a round that should not come
        finally:
            await relay.stop()
    # The statements that look for claimable rows (the housekeeping's own reads aside).
    looks = [s.split()[0] for s in statements if "FROM outbox AS candidate" in s]
    if database.connections.dialect_name == "sqlite":
        # A claim's RETURNING cannot tell of the rows behind: one more plain read after it.
        assert looks == ["SELECT", "UPDATE", "SELECT"]
    else:
        assert looks == ["SELECT"]


class WakingPublisher(InMemoryPublisher):
    """Wakes the relay while it publishes, as a commit landing mid-round does."""

    relay: OutboxRelay | None = None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        if self.relay is not None:
            self.relay.notify()
        return await super().publish(messages)


async def test_on_sqlite_an_idle_poll_reads_only_and_never_waits_for_the_writer_lock(
    tmp_path: Path, schema: Schema
) -> None:
    path = tmp_path / "idle.db"
    database = await Database.open(
        f"sqlite+aiosqlite:///{path}", service_package="unused", migrate=False
    )
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(schema.metadata.create_all)
        await write_events(database, schema.outbox, "t", ["a"])
        relay = OutboxRelay(
            database.connections, schema.outbox, InMemoryPublisher(), MessagingSettings()
        )
        assert await relay.run_once() == 1  # published: nothing is pending any more

        writer = sqlite3.connect(path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # a request's transaction holds the writer lock
            # A claim (UPDATE) would wait the busy timeout and then fail "database is locked".
            assert await relay.run_once() == 0
        finally:
            writer.rollback()
            writer.close()

        await write_events(database, schema.outbox, "t", ["b"])
        assert await relay.run_once() == 1  # with a row pending the claim still happens
    finally:
        await database.close()
