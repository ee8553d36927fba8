"""The Order state machine: placing, the catalog's replies, cancelling and the re-drive (the
payment step, fulfilment and the deadline: test_life_cycle.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.kernel.domain import Conflict, InvalidInput
from commerce.order.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    PaymentRequested,
    RequestedLine,
)
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import Awaiting, Order, OrderNotCancellable, OrderStatus, Reply
from commerce.order.domain.redrive import RedriveSchedule

T0 = datetime(2025, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(seconds=5)
PRICES = (PricedLine("p-1", 2, 1500), PricedLine("p-2", 1, 700))


def schedule(after: float, interval: float, max_interval: float | None = None) -> RedriveSchedule:
    return RedriveSchedule(
        after=timedelta(seconds=after),
        interval=timedelta(seconds=interval),
        max_interval=timedelta(seconds=interval if max_interval is None else max_interval),
    )


def placed() -> Order:
    order = Order.place(order_id="o-1", user_id="u-1", lines=[("p-1", 2), ("p-2", 1)], now=T0)
    order.pull_events()
    return order


def in_status(status: OrderStatus) -> Order:
    order = placed()
    if status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order.stock_reserved(PRICES, T0)
        order.authorize(T0)
        if status is not OrderStatus.CONFIRMED:
            order.ship("CJ Logistics", "CJ-1", T0)
        if status is OrderStatus.DELIVERED:
            order.deliver(T0)
    elif status is OrderStatus.REJECTED:
        order.reject("OUT_OF_STOCK", T0)
    elif status is OrderStatus.CANCELLED:
        order.cancel(T0)
    order.pull_events()
    return order


def test_placing_makes_a_pending_unpriced_order_and_asks_for_a_reservation() -> None:
    order = Order.place(order_id="o-1", user_id="u-1", lines=[("p-1", 2), ("p-2", 1)], now=T0)
    assert order.status is OrderStatus.PENDING
    assert [line.unit_price for line in order.lines] == [None, None]
    assert order.total is None and order.reason is None
    assert order.created_at == order.updated_at == order.last_published_at == T0
    assert order.publish_count == 1
    assert order.awaiting is Awaiting.RESERVATION
    assert order.pull_events() == [
        OrderPlaced(
            order_id="o-1",
            user_id="u-1",
            lines=(
                RequestedLine(product_id="p-1", quantity=2),
                RequestedLine(product_id="p-2", quantity=1),
            ),
            occurred_at=T0,
        )
    ]


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [(f"p-{i}", 1) for i in range(51)],
        [("p-1", 0)],
        [("p-1", 1001)],
        [("p-1", -1)],
        [("", 1)],
        [("p-1", 1), ("p-1", 2)],
    ],
    ids=["no-lines", "51-lines", "zero", "1001", "negative", "no-product", "same-product-twice"],
)
def test_placing_refuses_invalid_lines(lines: list[tuple[str, int]]) -> None:
    with pytest.raises(InvalidInput):
        Order.place(order_id="o-1", user_id="u-1", lines=lines, now=T0)


@pytest.mark.parametrize(
    "lines",
    [[(f"p-{i}", 1000) for i in range(50)], [("p-1", 1)]],
    ids=["50-lines-of-1000", "one-unit"],
)
def test_placing_accepts_the_limits(lines: list[tuple[str, int]]) -> None:
    order = Order.place(order_id="o-1", user_id="u-1", lines=lines, now=T0)
    assert order.status is OrderStatus.PENDING
    assert [(line.product_id, line.quantity) for line in order.lines] == lines
    (event,) = order.pull_events()
    assert isinstance(event, OrderPlaced)
    assert event.lines == tuple(RequestedLine(product_id=p, quantity=q) for p, q in lines)


def test_stock_reserved_prices_the_order_and_asks_for_the_payment_of_its_total() -> None:
    order = placed()
    assert order.stock_reserved(reversed(PRICES), LATER) is Reply.APPLIED
    assert order.status is OrderStatus.PENDING  # CONFIRMED only once the payment is authorized
    assert [(line.product_id, line.unit_price) for line in order.lines] == [
        ("p-1", 1500),
        ("p-2", 700),
    ]
    assert order.total == 2 * 1500 + 700
    assert order.updated_at == LATER and order.created_at == T0
    assert (order.awaiting, order.publish_count, order.payment_requested_at) == (
        Awaiting.PAYMENT,
        1,
        LATER,
    )
    assert order.pull_events() == [
        PaymentRequested(
            order_id="o-1",
            user_id="u-1",
            amount=3700,
            method="invoice",
            token=None,
            occurred_at=LATER,
        )
    ]
    assert order.authorize(LATER) is Reply.APPLIED
    assert order.status is OrderStatus.CONFIRMED
    assert order.pull_events() == [OrderConfirmed(order_id="o-1", total=3700, occurred_at=LATER)]


def test_total_is_exact_integer_money_for_large_orders() -> None:
    lines = [(f"p-{i}", 1000) for i in range(50)]
    order = Order.place(order_id="o-1", user_id="u-1", lines=lines, now=T0)
    order.stock_reserved([PricedLine(f"p-{i}", 1000, 10**9) for i in range(50)], LATER)
    assert order.total == 50 * 1000 * 10**9


def test_a_free_product_prices_to_zero_not_to_unpriced() -> None:
    order = placed()
    order.stock_reserved([PricedLine("p-1", 2, 0), PricedLine("p-2", 1, 0)], LATER)
    assert order.total == 0


@pytest.mark.parametrize(
    "priced",
    [
        [PricedLine("p-1", 2, 1500)],
        [PricedLine("p-1", 2, 1500), PricedLine("p-2", 2, 700)],
        [PricedLine("p-1", 2, 1500), PricedLine("p-3", 1, 700)],
        [PricedLine("p-1", 2, 1500), PricedLine("p-2", 1, 700), PricedLine("p-3", 1, 1)],
        [PricedLine("p-1", 2, -1), PricedLine("p-2", 1, 700)],
    ],
    ids=["missing-line", "other-quantity", "other-product", "extra-line", "negative-price"],
)
def test_a_reservation_that_does_not_match_the_order_is_refused(priced: list[PricedLine]) -> None:
    order = placed()
    with pytest.raises(InvalidInput):
        order.stock_reserved(priced, LATER)
    assert order.status is OrderStatus.PENDING
    assert order.total is None
    assert order.pull_events() == []


def test_stock_rejected_rejects_with_the_reason_and_no_prices() -> None:
    order = placed()
    assert order.reject("PRODUCT_NOT_FOUND", LATER) is Reply.APPLIED
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "PRODUCT_NOT_FOUND"
    assert order.total is None
    assert order.pull_events() == [
        OrderRejected(order_id="o-1", reason="PRODUCT_NOT_FOUND", occurred_at=LATER)
    ]


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED])
def test_cancel_of_a_live_order_asks_for_a_release(status: OrderStatus) -> None:
    order = in_status(status)
    order.cancel(LATER)
    assert order.status is OrderStatus.CANCELLED
    assert order.updated_at == LATER
    assert order.pull_events() == [OrderCancelled(order_id="o-1", occurred_at=LATER)]


def test_a_cancelled_confirmed_order_keeps_its_prices() -> None:
    order = in_status(OrderStatus.CONFIRMED)
    order.cancel(LATER)
    assert order.total == 3700


@pytest.mark.parametrize(
    "status",
    [OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
)
def test_cancel_of_a_final_order_is_a_conflict(status: OrderStatus) -> None:
    order = in_status(status)
    with pytest.raises(OrderNotCancellable) as raised:
        order.cancel(LATER)
    assert isinstance(raised.value, Conflict)
    assert order.status is status
    assert order.pull_events() == []


@pytest.mark.parametrize(
    "status", [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
)
def test_a_duplicate_reservation_of_a_confirmed_order_changes_nothing(status: OrderStatus) -> None:
    order = in_status(status)
    assert (
        order.stock_reserved([PricedLine("p-1", 2, 9), PricedLine("p-2", 1, 9)], LATER)
        is Reply.IGNORED
    )
    assert order.total == 3700 and order.updated_at == T0
    assert order.pull_events() == []


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED])
def test_a_late_reservation_of_a_dead_order_is_released_again(status: OrderStatus) -> None:
    order = in_status(status)
    assert order.stock_reserved(PRICES, LATER) is Reply.COMPENSATED
    assert order.status is status
    assert order.total is None
    # The release is asked for with the order's own final event (both release on the catalog).
    release = (
        OrderCancelled(order_id="o-1", occurred_at=LATER)
        if status is OrderStatus.CANCELLED
        else OrderRejected(order_id="o-1", reason="OUT_OF_STOCK", occurred_at=LATER)
    )
    assert order.pull_events() == [release]


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.PENDING])
def test_a_late_rejection_never_moves_a_settled_order(status: OrderStatus) -> None:
    order = in_status(status)
    reason = order.reason
    assert order.reject("OUT_OF_STOCK" if status is not OrderStatus.REJECTED else "X", LATER) is (
        Reply.IGNORED
    )
    assert order.status is status and order.reason == reason
    assert order.pull_events() == []


def test_redrive_timing_first_after_then_every_interval() -> None:
    plan = schedule(10, 3)
    order = placed()
    assert not order.is_due_for_redrive(T0 + timedelta(seconds=9), plan)
    at = T0 + timedelta(seconds=10)
    assert order.is_due_for_redrive(at, plan)
    order.redrive(at, plan)
    assert order.publish_count == 2 and order.last_published_at == at
    assert not order.is_due_for_redrive(at + timedelta(seconds=2), plan)
    assert order.is_due_for_redrive(at + timedelta(seconds=3), plan)


def test_redrive_backs_off_doubling_the_interval_up_to_the_maximum() -> None:
    plan = schedule(10, 10, 300)
    # publish count -> quiet time needed before the next request
    assert [plan.wait(count).total_seconds() for count in range(1, 10)] == [
        10,
        10,
        20,
        40,
        80,
        160,
        300,
        300,
        300,
    ]
    assert plan.wait(10_000) == timedelta(seconds=300)
    order, at = placed(), T0
    waits = []
    for _ in range(8):
        wait = next(
            s for s in range(1, 1000) if order.is_due_for_redrive(at + timedelta(seconds=s), plan)
        )
        waits.append(wait)
        at += timedelta(seconds=wait)
        order.redrive(at, plan)
    assert waits == [10, 10, 20, 40, 80, 160, 300, 300]


def test_the_schedule_lists_each_distinct_wait_once_the_last_holds_beyond() -> None:
    assert schedule(10, 10, 300).steps() == tuple(
        (count, timedelta(seconds=wait))
        for count, wait in ((1, 10), (2, 10), (3, 20), (4, 40), (5, 80), (6, 160), (7, 300))
    )
    # No back-off at all: one wait after the first request, one for every repetition.
    assert schedule(2, 5).steps() == ((1, timedelta(seconds=2)), (2, timedelta(seconds=5)))
    assert schedule(2, 5, 1).steps() == ((1, timedelta(seconds=2)), (2, timedelta(seconds=1)))
    assert schedule(0, 0, 0).steps() == ((1, timedelta(0)), (2, timedelta(0)))


def test_redrive_asks_again_with_the_same_request() -> None:
    order = placed()
    order.redrive(LATER, schedule(10, 3))
    (event,) = order.pull_events()
    assert isinstance(event, OrderPlaced)
    assert event.order_id == "o-1" and event.user_id == "u-1"
    assert [(line.product_id, line.quantity) for line in event.lines] == [("p-1", 2), ("p-2", 1)]


@pytest.mark.parametrize(
    "status",
    [OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
)
def test_an_answered_order_is_never_redriven(status: OrderStatus) -> None:
    order = in_status(status)
    assert order.awaiting is None
    far = T0 + timedelta(days=1)
    assert not order.is_due_for_redrive(far, schedule(0, 0))
    order.redrive(far, schedule(0, 0))
    assert order.pull_events() == []


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED])
def test_a_cancellation_is_redriven_until_the_catalog_confirms_the_release(
    status: OrderStatus,
) -> None:
    plan = schedule(10, 3)
    order = in_status(status)
    order.cancel(LATER)
    order.pull_events()
    assert order.awaiting is Awaiting.RELEASE and order.publish_count == 1
    assert not order.is_due_for_redrive(LATER + timedelta(seconds=9), plan)
    at = LATER + timedelta(seconds=10)
    order.redrive(at, plan)
    assert order.pull_events() == [OrderCancelled(order_id="o-1", occurred_at=at)]
    assert order.publish_count == 2
    assert order.release_confirmed() is Reply.APPLIED
    assert order.awaiting is None and order.status is OrderStatus.CANCELLED
    assert not order.is_due_for_redrive(at + timedelta(days=1), plan)
    assert order.release_confirmed() is Reply.IGNORED


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED])
def test_a_release_confirmation_without_a_cancellation_is_ignored(status: OrderStatus) -> None:
    order = in_status(status)
    awaiting = order.awaiting
    assert order.release_confirmed() is Reply.IGNORED
    assert order.awaiting is awaiting


def test_a_compensating_release_is_awaited_too() -> None:
    order = in_status(OrderStatus.REJECTED)
    order.stock_reserved(PRICES, LATER)
    assert order.awaiting is Awaiting.RELEASE
    assert order.release_confirmed() is Reply.APPLIED
