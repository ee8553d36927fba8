"""The inbox on real databases: a redelivered event is a no-op, even a concurrent one."""

from __future__ import annotations

import asyncio

import pytest

from commerce.kernel.db import Database
from commerce.kernel.messaging.columns import db_now
from commerce.kernel.messaging.inbox import first_delivery, purge_inbox
from tests.integration.kernel.messaging.conftest import Schema
from tests.integration.kernel.messaging.helpers import apply_once, count, event

pytestmark = pytest.mark.integration


async def test_a_redelivered_event_is_applied_once(database: Database, schema: Schema) -> None:
    envelope = event("o1")
    assert await apply_once(database, schema.inbox, schema.effects, envelope) is True
    assert await apply_once(database, schema.inbox, schema.effects, envelope) is False
    assert await count(database, schema.effects) == 1
    assert await count(database, schema.inbox) == 1


async def test_consumers_are_independent(database: Database, schema: Schema) -> None:
    async with database.connections() as session:
        assert await first_delivery(session, schema.inbox, consumer="product", event_id="e1")
        assert await first_delivery(session, schema.inbox, consumer="order", event_id="e1")
        await session.commit()


async def test_an_effect_rolled_back_leaves_the_event_unprocessed(
    database: Database, schema: Schema
) -> None:
    async with database.connections() as session:
        assert await first_delivery(session, schema.inbox, consumer="c", event_id="e1")
        await session.rollback()  # the handler failed after recording the event
    async with database.connections() as session:
        assert await first_delivery(session, schema.inbox, consumer="c", event_id="e1")


async def test_a_concurrent_duplicate_waits_for_the_first_and_then_does_nothing(
    database: Database, schema: Schema
) -> None:
    envelope = event("o1")
    first = await database.connections().start()
    try:
        assert await first_delivery(first, schema.inbox, consumer="test", event_id=envelope.id)
        await first.execute(schema.effects.insert().values(event_id=envelope.id))
        # The duplicate runs while the first transaction is still open: the database makes it
        # wait on the key (MariaDB row lock, SQLite writer lock), then it sees the event.
        duplicate = asyncio.create_task(
            apply_once(database, schema.inbox, schema.effects, envelope)
        )
        await asyncio.sleep(0.2)
        assert not duplicate.done()
        await first.commit()
    finally:
        await first.close()
    assert await duplicate is False
    assert await count(database, schema.effects) == 1


async def test_purge_forgets_old_entries_only(database: Database, schema: Schema) -> None:
    async with database.connections() as session:
        await first_delivery(session, schema.inbox, consumer="c", event_id="old")
        await session.commit()
    cutoff = db_now()
    async with database.connections() as session:
        await first_delivery(session, schema.inbox, consumer="c", event_id="new")
        await session.commit()
    async with database.connections() as session:
        assert await purge_inbox(session, schema.inbox, older_than=cutoff) == 1
        await session.commit()
    assert await count(database, schema.inbox) == 1
