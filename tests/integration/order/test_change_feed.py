"""The polling change feed (docs/adr/0065) on SQLite and MariaDB: a commit made elsewhere (another
worker process, a consumer) wakes the streams waiting on that order at the next poll; a
commit of this process wakes them at once; orders nobody watches cost no query."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, update

from commerce.kernel.db import Database
from commerce.order.adapters.outbound.change_feed import PollingOrderChangeFeed
from commerce.order.adapters.outbound.tables import orders
from commerce.order.application.commands import CancelOrder, PlaceOrder
from commerce.order.application.live_status import FollowOrder
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.application.views import OrderSnapshot
from commerce.order.bootstrap import build_use_cases
from commerce.order.settings import Settings
from tests.unit.order.fakes import FakeClock

INTERVAL = 0.05
LONG = 30.0  # far longer than any wake-up these tests expect


@pytest.fixture
async def feed(database: Database) -> AsyncIterator[PollingOrderChangeFeed]:
    feed = PollingOrderChangeFeed(database.engine, interval=INTERVAL, chunk=2)
    feed.start()
    yield feed
    await feed.stop()


@pytest.fixture
def use_cases(database: Database, clock: FakeClock, feed: PollingOrderChangeFeed) -> OrderUseCases:
    return build_use_cases(database, Settings(), clock, feed=feed)


async def place(use_cases: OrderUseCases, user: str = "u-1") -> tuple[str, int]:
    placed = await use_cases.place(PlaceOrder(user_id=user, lines=(("p-1", 1),)))
    snapshot = await use_cases.read.snapshot(user, placed.order.id)
    return placed.order.id, snapshot.version


async def bump_elsewhere(database: Database, order_id: str) -> None:
    """A change committed outside this process's units of work (another worker's)."""
    async with database.engine.begin() as connection:
        await connection.execute(
            update(orders).where(orders.c.id == order_id).values(version=orders.c.version + 1)
        )


async def test_a_change_committed_elsewhere_wakes_the_waiting_streams_of_that_order_only(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed, database: Database
) -> None:
    # Five orders (three queries of two ids each): only the changed one wakes.
    placed = [await place(use_cases) for _ in range(5)]
    (changed_id, version), *others = placed
    woken = [
        asyncio.create_task(feed.changed(changed_id, after_version=version, within=LONG)),
        asyncio.create_task(feed.changed(changed_id, after_version=version, within=LONG)),
    ]
    quiet = [
        asyncio.create_task(feed.changed(order_id, after_version=v, within=LONG))
        for order_id, v in others
    ]
    await asyncio.sleep(INTERVAL * 3)
    assert not any(task.done() for task in woken + quiet)

    await bump_elsewhere(database, changed_id)

    assert await asyncio.wait_for(asyncio.gather(*woken), LONG) == [True, True]
    assert not any(task.done() for task in quiet)
    for task in quiet:
        task.cancel()
    await asyncio.gather(*quiet, return_exceptions=True)
    assert feed.watched == 0, "a cancelled wait (a client that left) is forgotten"


async def test_a_version_already_past_the_one_read_wakes_at_the_first_poll(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed
) -> None:
    order_id, version = await place(use_cases)

    assert await feed.changed(order_id, after_version=version - 1, within=LONG)


async def test_a_commit_of_this_process_wakes_its_streams_at_once(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    # A feed that never polls: only the unit of work's own wake-up can end this wait.
    feed = PollingOrderChangeFeed(database.engine, interval=LONG)
    use_cases = build_use_cases(database, Settings(), clock, feed=feed)
    order_id, version = await place(use_cases)
    waiting = asyncio.create_task(feed.changed(order_id, after_version=version, within=LONG))
    await asyncio.sleep(0)

    await use_cases.cancel(CancelOrder(user_id="u-1", order_id=order_id))

    assert await asyncio.wait_for(waiting, 5)


async def test_a_quiet_order_times_out_and_nobody_waiting_costs_no_query(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed, database: Database
) -> None:
    order_id, version = await place(use_cases)
    assert not await feed.changed(order_id, after_version=version, within=INTERVAL * 3)

    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        await asyncio.sleep(INTERVAL * 4)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    assert statements == []


async def test_a_waiting_stream_holds_no_database_connection(
    use_cases: OrderUseCases, database: Database
) -> None:
    order_id, _ = await place(use_cases)
    events = await use_cases.live(FollowOrder(user_id="u-1", order_id=order_id))
    first = await anext(events)
    assert isinstance(first, OrderSnapshot) and first.order.status == "PENDING"
    waiting = asyncio.create_task(anext(events))
    await asyncio.sleep(INTERVAL * 4)  # several polls come and go meanwhile
    assert not waiting.done()

    assert database.engine.pool.checkedout() == 0, "an idle stream keeps no connection"

    await use_cases.cancel(CancelOrder(user_id="u-1", order_id=order_id))
    changed = await asyncio.wait_for(waiting, 5)
    assert isinstance(changed, OrderSnapshot) and changed.order.status == "CANCELLED"
    assert database.engine.pool.checkedout() == 0
