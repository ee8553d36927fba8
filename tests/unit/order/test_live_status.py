"""Live order status (API.md, "Live order status"): what a stream sends and when, with the
store's orders, a clock that moves only when told and a scripted change feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from commerce.order.application.errors import OrderNotFound
from commerce.order.application.live_status import (
    KEEP_ALIVE,
    FollowOrder,
    LiveOrderStatus,
    StatusEvent,
)
from commerce.order.application.queries import OrderReader
from commerce.order.application.views import OrderSnapshot
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import Order
from tests.unit.order.fakes import Store, pending_order
from tests.unit.order.live_fakes import ScriptedFeed, StoreQueries

KEEPALIVE = 15.0
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def store() -> Store:
    store = Store()
    store.orders["o-1"] = pending_order("o-1", "u-1")
    return store


@pytest.fixture
def feed(store: Store) -> ScriptedFeed:
    return ScriptedFeed(store)


@pytest.fixture
def live(store: Store, feed: ScriptedFeed) -> LiveOrderStatus:
    reader = OrderReader(StoreQueries(store))
    return LiveOrderStatus(reader, feed, keepalive_seconds=KEEPALIVE, monotonic=feed.monotonic)


def change(store: Store, act: str) -> None:
    """What a committed use case does to the order: act, then store a new version."""
    order: Order = store.orders["o-1"]
    if act == "priced":
        order.stock_reserved([PricedLine("p-1", 2, 100), PricedLine("p-2", 1, 50)], NOW)
    elif act == "confirm":
        order.authorize(NOW)
    elif act == "cancel":
        order.cancel(NOW)
    elif act == "bookkeeping":  # asked again: the version moves, the body does not
        order.last_published_at = NOW
        order.publish_count += 1
    order.stored()


async def take(events: AsyncIterator[StatusEvent], count: int) -> list[StatusEvent]:
    return [await anext(events) for _ in range(count)]


async def rest(events: AsyncIterator[StatusEvent]) -> list[StatusEvent]:
    return [event async for event in events]


def statuses(events: list[StatusEvent]) -> list[str]:
    return [e.order.status if isinstance(e, OrderSnapshot) else "keep-alive" for e in events]


async def test_the_first_event_is_the_order_as_it_is_then_each_change_until_final(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    feed.then(lambda: change(store, "priced"), after=0.2)
    feed.then(lambda: change(store, "confirm"), after=0.2)
    feed.then(lambda: change(store, "cancel"), after=0.2)

    events = await rest(await live(FollowOrder("u-1", "o-1")))

    assert statuses(events) == ["PENDING", "PENDING", "CONFIRMED", "CANCELLED"]
    versions = [e.version for e in events if isinstance(e, OrderSnapshot)]
    assert versions == sorted(set(versions)), "ids increase"
    assert isinstance(events[1], OrderSnapshot) and events[1].order.total == 250
    # Each wait starts from the version last read.
    assert [after for _, after, _ in feed.waits] == versions[:-1]


async def test_changes_committed_in_this_process_between_two_looks_are_each_sent(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    # Priced and confirmed before the stream looks again: neither is lost, both in order.
    feed.then_commits("o-1", lambda: change(store, "priced"), lambda: change(store, "confirm"))
    feed.then(lambda: change(store, "cancel"), after=0.2)

    events = await rest(await live(FollowOrder("u-1", "o-1")))

    assert statuses(events) == ["PENDING", "PENDING", "CONFIRMED", "CANCELLED"]
    snapshots = [e for e in events if isinstance(e, OrderSnapshot)]
    first = snapshots[0].version
    assert [e.version for e in snapshots] == [first, first + 1, first + 2, first + 3]
    assert snapshots[1].order.total == 250 and snapshots[2].order.total == 250
    assert feed.following == [], "the stream stopped following its order when it ended"


async def test_a_quiet_stream_keeps_alive_every_interval(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    events = await live(FollowOrder("u-1", "o-1"))
    started = feed.now
    first, *alive = await take(events, 4)

    assert isinstance(first, OrderSnapshot)
    assert alive == [KEEP_ALIVE] * 3
    assert feed.now - started == 3 * KEEPALIVE
    await events.aclose()  # type: ignore[attr-defined]


async def test_a_version_moved_by_bookkeeping_alone_sends_nothing_and_keeps_the_beat(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    feed.then(lambda: change(store, "bookkeeping"), after=10)
    feed.then(lambda: change(store, "cancel"), after=10)
    started = feed.now

    events = await rest(await live(FollowOrder("u-1", "o-1")))

    assert statuses(events) == ["PENDING", "keep-alive", "CANCELLED"]
    # The keep-alive came 15 s after the first event, not 15 s after the silent wake-up.
    assert feed.waits[1][2] == KEEPALIVE - 10
    assert feed.now - started == 20


async def test_last_event_id_older_than_the_order_sends_the_current_state(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    change(store, "priced")
    version = store.orders["o-1"].version
    feed.then(lambda: change(store, "cancel"))

    events = await rest(await live(FollowOrder("u-1", "o-1", last_seen=version - 1)))

    assert statuses(events) == ["PENDING", "CANCELLED"]
    assert isinstance(events[0], OrderSnapshot) and events[0].version == version


async def test_last_event_id_as_new_as_the_order_waits_for_the_next_change(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    version = store.orders["o-1"].version
    feed.then(lambda: change(store, "bookkeeping"), after=1)
    feed.then(lambda: change(store, "cancel"), after=1)

    events = await rest(await live(FollowOrder("u-1", "o-1", last_seen=version)))

    assert statuses(events) == ["CANCELLED"]
    assert isinstance(events[0], OrderSnapshot) and events[0].version > version


async def test_a_final_order_no_newer_than_last_event_id_ends_at_once(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    change(store, "cancel")

    events = await live(FollowOrder("u-1", "o-1", last_seen=store.orders["o-1"].version))

    assert await rest(events) == []
    assert feed.waits == []


async def test_a_final_order_sends_itself_once_and_ends(
    live: LiveOrderStatus, store: Store, feed: ScriptedFeed
) -> None:
    change(store, "cancel")

    assert statuses(await rest(await live(FollowOrder("u-1", "o-1")))) == ["CANCELLED"]
    assert feed.waits == []


async def test_another_users_order_is_not_found_before_anything_streams(
    live: LiveOrderStatus,
) -> None:
    with pytest.raises(OrderNotFound):
        await live(FollowOrder("u-2", "o-1"))
    with pytest.raises(OrderNotFound):
        await live(FollowOrder("u-1", "missing"))


async def test_staff_follow_any_order(live: LiveOrderStatus, store: Store) -> None:
    change(store, "cancel")

    events = await rest(await live(FollowOrder("staff", "o-1", staff=True)))

    assert statuses(events) == ["CANCELLED"]
