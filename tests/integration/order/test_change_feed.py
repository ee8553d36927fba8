"""The order change feed (docs/adr/0065) on SQLite and MariaDB: a commit made elsewhere (another
worker process) tells the followers of that order to read it at the next poll; the commits of
this process reach them at once, each version's body, none lost between two looks; orders
nobody follows cost no query."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import ExitStack

import pytest
from sqlalchemy import update

from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.order.adapters.outbound.change_feed import PollingOrderChangeFeed
from commerce.order.adapters.outbound.tables import orders
from commerce.order.application.commands import CancelOrder, PlaceOrder, RecordReservation
from commerce.order.application.live_status import FollowOrder
from commerce.order.application.ports import OrderChanges
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.application.views import OrderSnapshot
from commerce.order.bootstrap import build_use_cases
from commerce.order.domain.lines import PricedLine
from commerce.order.settings import Settings
from tests.integration.statements import recorded_statements
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


async def test_a_change_committed_elsewhere_tells_the_followers_of_that_order_only(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed, database: Database
) -> None:
    # Five orders (three queries of two ids each): only the changed one moves.
    placed = [await place(use_cases) for _ in range(5)]
    (changed_id, version), *others = placed
    with ExitStack() as following:
        moved = [
            asyncio.create_task(
                following.enter_context(feed.follow(changed_id)).next(
                    after_version=version, within=LONG
                )
            )
            for _ in range(2)
        ]
        quiet = [
            asyncio.create_task(
                following.enter_context(feed.follow(order_id)).next(after_version=v, within=LONG)
            )
            for order_id, v in others
        ]
        await asyncio.sleep(INTERVAL * 3)
        assert not any(task.done() for task in moved + quiet)

        await bump_elsewhere(database, changed_id)

        told = await asyncio.wait_for(asyncio.gather(*moved), LONG)
        assert told == [OrderChanges((), read_again=True)] * 2
        assert not any(task.done() for task in quiet)
        for task in quiet:
            task.cancel()
        await asyncio.gather(*quiet, return_exceptions=True)
    assert feed.watched == 0, "a stream that ended (a client that left) is forgotten"


async def test_a_version_already_past_the_one_read_is_told_at_the_first_poll(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed
) -> None:
    order_id, version = await place(use_cases)

    with feed.follow(order_id) as follower:
        changes = await follower.next(after_version=version - 1, within=LONG)
    assert changes == OrderChanges((), read_again=True)


async def test_each_commit_of_this_process_reaches_its_followers_with_its_body(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    # A feed that never polls: only the units of work can tell the follower anything.
    feed = PollingOrderChangeFeed(database.engine, interval=LONG)
    use_cases = build_use_cases(database, Settings(), clock, feed=feed)
    order_id, version = await place(use_cases)
    bodies = []
    with feed.follow(order_id) as follower:
        # Two commits before the follower looks: neither is lost, nor merged into the other.
        await use_cases.catalog_replies.reserved(
            RecordReservation("evt-1", order_id, (PricedLine("p-1", 1, 700),))
        )
        bodies.append(await use_cases.read.snapshot("u-1", order_id))
        await use_cases.cancel(CancelOrder(user_id="u-1", order_id=order_id))
        bodies.append(await use_cases.read.snapshot("u-1", order_id))

        changes = await asyncio.wait_for(follower.next(after_version=version, within=LONG), 5)

        assert changes == OrderChanges(tuple(bodies), read_again=False)
        assert [(b.order.status, b.order.total) for b in bodies] == [
            ("PENDING", 700),  # priced, its payment asked for
            ("CANCELLED", 700),
        ]
        # Nothing is told twice.
        assert await follower.next(after_version=bodies[-1].version, within=INTERVAL) is None


async def test_a_batch_tells_its_followers_once_it_has_committed_and_misses_no_late_follower(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    feed = PollingOrderChangeFeed(database.engine, interval=LONG)  # never polls
    use_cases = build_use_cases(database, Settings(), clock, feed=feed)
    early_id, early_version = await place(use_cases)
    late_id, late_version = await place(use_cases)
    with ExitStack() as following:
        early = following.enter_context(feed.follow(early_id))
        async with shared_transaction(database.connections):
            for order_id in (early_id, late_id):
                await use_cases.catalog_replies.reserved(
                    RecordReservation(f"evt-{order_id}", order_id, (PricedLine("p-1", 1, 700),))
                )
            # A stream that starts now reads the order as it was: the batch has not committed.
            late = following.enter_context(feed.follow(late_id))
            assert (await use_cases.read.snapshot("u-1", late_id)).version == late_version
            assert await early.next(after_version=early_version, within=INTERVAL) is None
        early_changes, late_changes = await asyncio.wait_for(
            asyncio.gather(
                early.next(after_version=early_version, within=LONG),
                late.next(after_version=late_version, within=LONG),
            ),
            5,
        )
    assert early_changes == OrderChanges(
        (await use_cases.read.snapshot("u-1", early_id),), read_again=False
    )
    # No body was built for it when written: it is told to read the order.
    assert late_changes == OrderChanges((), read_again=True)


async def test_a_quiet_order_times_out_and_nobody_following_costs_no_query(
    use_cases: OrderUseCases, feed: PollingOrderChangeFeed, database: Database
) -> None:
    order_id, version = await place(use_cases)
    with feed.follow(order_id) as follower:
        assert await follower.next(after_version=version, within=INTERVAL * 3) is None

    with recorded_statements(database) as statements:
        await asyncio.sleep(INTERVAL * 4)
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

    # The feed's poll checks a connection out for a moment, every INTERVAL; a stream that
    # kept one would hold it at every look. So: none held at some look within two polls.
    seen_free = False
    for _ in range(40):
        if database.engine.pool.checkedout() == 0:
            seen_free = True
            break
        await asyncio.sleep(INTERVAL / 20)
    assert seen_free, "an idle stream keeps no connection"

    await use_cases.cancel(CancelOrder(user_id="u-1", order_id=order_id))
    changed = await asyncio.wait_for(waiting, 5)
    assert isinstance(changed, OrderSnapshot) and changed.order.status == "CANCELLED"
    assert database.engine.pool.checkedout() == 0
