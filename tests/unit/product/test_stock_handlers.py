"""Reserve and release use cases with the in-memory unit of work."""

from __future__ import annotations

import pytest

from commerce.product.application.commands import (
    CreateProduct,
    EditProduct,
    ReleaseStock,
    ReserveStock,
)
from commerce.product.domain.events import (
    RejectionReason,
    ReservedLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from commerce.product.domain.product import ProductChanges
from commerce.product.domain.reservation import ReservationStatus
from tests.unit.product.fakes import FakeCatalogStore


async def new_product(store: FakeCatalogStore, *, stock: int, price: int = 1_000) -> str:
    product = await store.use_cases().create(CreateProduct("seller", "Thing", price, stock))
    return product.id


def placed(order_id: str, *lines: tuple[str, int], event_id: str | None = None) -> ReserveStock:
    return ReserveStock(event_id=event_id or f"placed-{order_id}", order_id=order_id, lines=lines)


def cancelled(order_id: str, event_id: str | None = None) -> ReleaseStock:
    return ReleaseStock(event_id=event_id or f"cancelled-{order_id}", order_id=order_id)


@pytest.fixture
def store() -> FakeCatalogStore:
    return FakeCatalogStore()


def reservation_events(store: FakeCatalogStore) -> list:
    return [
        e for e in store.published if isinstance(e, StockReserved | StockRejected | StockReleased)
    ]


async def test_reserves_every_line_and_emits_prices(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5, price=700)
    b = await new_product(store, stock=2, price=300)
    await store.use_cases().reserve(placed("o1", (a, 2), (b, 2), (a, 1)))
    assert (store.stock(a), store.stock(b)) == (2, 0)
    [event] = reservation_events(store)
    assert isinstance(event, StockReserved)
    assert set(event.lines) == {ReservedLine(a, 3, 700), ReservedLine(b, 2, 300)}
    assert store.state.reservations["o1"].status is ReservationStatus.RESERVED


async def test_one_short_line_reserves_nothing(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5)
    b = await new_product(store, stock=1)
    await store.use_cases().reserve(placed("o1", (a, 5), (b, 2)))
    assert (store.stock(a), store.stock(b)) == (5, 1)
    [event] = reservation_events(store)
    assert isinstance(event, StockRejected)
    assert (event.reason, event.product_ids) == (RejectionReason.OUT_OF_STOCK, (b,))


async def test_unknown_product_is_rejected_as_not_found(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().reserve(placed("o1", (a, 1), ("nope", 1)))
    assert store.stock(a) == 5
    [event] = reservation_events(store)
    assert isinstance(event, StockRejected)
    assert (event.reason, event.product_ids) == (RejectionReason.PRODUCT_NOT_FOUND, ("nope",))


async def test_redelivered_event_is_a_no_op(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().reserve(placed("o1", (a, 2)))
    await store.use_cases().reserve(placed("o1", (a, 2)))
    assert store.stock(a) == 3
    assert len(reservation_events(store)) == 1


async def test_redriven_order_gets_the_same_answer_without_a_second_hold(
    store: FakeCatalogStore,
) -> None:
    a = await new_product(store, stock=5, price=700)
    await store.use_cases().reserve(placed("o1", (a, 2), event_id="e1"))
    # The seller raises the price in between: the re-driven answer keeps the recorded price.
    await store.use_cases().edit(EditProduct(a, "seller", ProductChanges(price=900)))
    await store.use_cases().reserve(placed("o1", (a, 2), event_id="e2"))
    assert store.stock(a) == 3
    first, second = reservation_events(store)
    assert first.lines == second.lines == (ReservedLine(a, 2, 700),)


async def test_redriven_rejection_is_rejected_again_even_if_stock_arrived(
    store: FakeCatalogStore,
) -> None:
    a = await new_product(store, stock=0)
    await store.use_cases().reserve(placed("o1", (a, 1), event_id="e1"))
    store.state.products[a].stock = 10
    await store.use_cases().reserve(placed("o1", (a, 1), event_id="e2"))
    assert store.stock(a) == 10
    assert [type(e) for e in reservation_events(store)] == [StockRejected, StockRejected]


async def test_cancel_releases_exactly_once(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().reserve(placed("o1", (a, 4)))
    await store.use_cases().release(cancelled("o1", event_id="c1"))
    await store.use_cases().release(cancelled("o1", event_id="c1"))  # redelivery
    await store.use_cases().release(cancelled("o1", event_id="c2"))  # re-drive
    assert store.stock(a) == 5
    assert store.state.reservations["o1"].status is ReservationStatus.RELEASED
    assert [type(e) for e in reservation_events(store)] == [
        StockReserved,
        StockReleased,
        StockReleased,
    ]


async def test_placed_after_release_reserves_nothing_and_says_nothing(
    store: FakeCatalogStore,
) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().reserve(placed("o1", (a, 4), event_id="e1"))
    await store.use_cases().release(cancelled("o1"))
    await store.use_cases().reserve(placed("o1", (a, 4), event_id="e2"))
    assert store.stock(a) == 5
    assert [type(e) for e in reservation_events(store)] == [StockReserved, StockReleased]


async def test_cancel_before_placed_leaves_a_tombstone(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().release(cancelled("o1"))
    await store.use_cases().reserve(placed("o1", (a, 1)))
    assert store.stock(a) == 5
    assert store.state.reservations["o1"].status is ReservationStatus.CANCELLED
    assert [type(e) for e in reservation_events(store)] == [StockReleased]


async def test_cancel_of_rejected_order_gives_nothing_back(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=1)
    await store.use_cases().reserve(placed("o1", (a, 2)))
    await store.use_cases().release(cancelled("o1"))
    assert store.stock(a) == 1
    assert store.state.reservations["o1"].status is ReservationStatus.REJECTED


async def test_concurrent_orders_never_take_more_than_the_stock(store: FakeCatalogStore) -> None:
    a = await new_product(store, stock=3)
    for n in range(10):
        await store.use_cases().reserve(placed(f"o{n}", (a, 1)))
    events = reservation_events(store)
    assert sum(isinstance(e, StockReserved) for e in events) == 3
    assert sum(isinstance(e, StockRejected) for e in events) == 7
    assert store.stock(a) == 0


@pytest.mark.parametrize("lines", [(), (("p", 0),), (("p", -2), ("q", 1))])
async def test_an_order_without_usable_lines_is_rejected_as_invalid(
    store: FakeCatalogStore, lines: tuple[tuple[str, int], ...]
) -> None:
    a = await new_product(store, stock=5)
    await store.use_cases().reserve(placed("o1", *lines))
    [event] = reservation_events(store)
    assert event == StockRejected(
        order_id="o1",
        reason=RejectionReason.INVALID_ORDER,
        product_ids=(),
        occurred_at=event.occurred_at,
    )
    assert store.state.inbox == {"placed-o1"}
    assert store.state.reservations["o1"].status is ReservationStatus.REJECTED
    # A re-drive gets the same answer, whatever it carries now, and holds nothing.
    await store.use_cases().reserve(placed("o1", (a, 1), event_id="again"))
    again = reservation_events(store)[-1]
    assert isinstance(again, StockRejected) and again.reason is RejectionReason.INVALID_ORDER
    assert store.stock(a) == 5
