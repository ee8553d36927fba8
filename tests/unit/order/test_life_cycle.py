"""The v1.1 life cycle of the Order aggregate: the payment step, fulfilment, the payment
deadline, the units held in each status, and every refused transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.kernel.domain import Conflict, InvalidInput
from commerce.order.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
)
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import (
    PAYMENT_UNAVAILABLE,
    Awaiting,
    Order,
    OrderNotCancellable,
    OrderNotDeliverable,
    OrderNotShippable,
    OrderStatus,
    Reply,
)
from commerce.order.domain.payment import (
    INVOICE,
    PaymentChoice,
    PaymentMethod,
    PaymentStatus,
    follows,
)
from commerce.order.domain.redrive import RedriveSchedule
from commerce.order.domain.shipment import Shipment

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


PRICES = (PricedLine("p-1", 2, 1500), PricedLine("p-2", 1, 700))
CARD = PaymentChoice(PaymentMethod.CARD, "tok_visa")
PLAN = RedriveSchedule(
    after=timedelta(seconds=10),
    interval=timedelta(seconds=10),
    max_interval=timedelta(seconds=300),
    payment_deadline=timedelta(seconds=60),
)


def card_payment_requested(now: datetime) -> PaymentRequested:
    """What an order of 3,700 KRW paid with tok_visa asks the payment service."""
    return PaymentRequested(
        order_id="o-1", user_id="u-1", amount=3700, method="card", token="tok_visa", occurred_at=now
    )


def placed(payment: PaymentChoice = INVOICE) -> Order:
    order = Order.place(
        order_id="o-1", user_id="u-1", lines=[("p-1", 2), ("p-2", 1)], now=T0, payment=payment
    )
    order.pull_events()
    return order


def awaiting_payment(payment: PaymentChoice = INVOICE) -> Order:
    order = placed(payment)
    order.stock_reserved(PRICES, at(1))
    order.pull_events()
    return order


def in_status(status: OrderStatus) -> Order:
    """An order that reached ``status`` the usual way (REJECTED: its payment was declined)."""
    order = awaiting_payment()
    if status is OrderStatus.REJECTED:
        order.decline("PAYMENT_DECLINED", at(2))
    elif status is OrderStatus.CANCELLED:
        order.cancel(at(2))
    elif status is not OrderStatus.PENDING:
        order.authorize(at(2))
        if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            order.ship("CJ", "T-1", at(3))
        if status is OrderStatus.DELIVERED:
            order.deliver(at(4))
    order.pull_events()
    return order


# --- the whole way, and the payment choice ---------------------------------------------------


def test_the_whole_life_cycle_with_a_card() -> None:
    order = placed(CARD)
    assert order.payment_status is PaymentStatus.PENDING
    assert order.stock_reserved(PRICES, at(1)) is Reply.APPLIED
    assert order.pull_events() == [card_payment_requested(at(1))]
    assert order.authorize(at(2)) is Reply.APPLIED
    assert (order.status, order.payment_status, order.awaiting) == (
        OrderStatus.CONFIRMED,
        PaymentStatus.AUTHORIZED,
        None,
    )
    assert order.pull_events() == [OrderConfirmed(order_id="o-1", total=3700, occurred_at=at(2))]
    order.ship("CJ Logistics", "6001-2345", at(3))
    assert order.status is OrderStatus.SHIPPED
    assert order.shipment == Shipment("CJ Logistics", "6001-2345", shipped_at=at(3))
    assert order.pull_events() == [
        OrderShipped(
            order_id="o-1", carrier="CJ Logistics", tracking_number="6001-2345", occurred_at=at(3)
        )
    ]
    assert order.payment_reported(PaymentStatus.CAPTURED, at(4)) is Reply.RECORDED
    order.deliver(at(5))
    assert (order.status, order.payment_status) == (OrderStatus.DELIVERED, PaymentStatus.CAPTURED)
    assert order.shipment == Shipment(
        "CJ Logistics", "6001-2345", shipped_at=at(3), delivered_at=at(5)
    )
    assert order.is_final and order.updated_at == at(5)
    assert order.pull_events() == [OrderDelivered(order_id="o-1", occurred_at=at(5))]


@pytest.mark.parametrize(
    ("method", "token"),
    [
        ("card", None),
        ("card", "visa"),
        ("card", "tok_"),
        ("card", "tok_" + "a" * 41),
        ("card", "tok_VISA"),
        ("card", "tok_vi-sa"),
        ("invoice", "tok_visa"),
        ("cash", None),
    ],
)
def test_a_payment_choice_breaking_the_rules_is_refused(method: str, token: str | None) -> None:
    with pytest.raises(InvalidInput):
        PaymentChoice.of(method, token)


@pytest.mark.parametrize(
    "token", ["tok_visa", "tok_a", "tok_" + "a" * 40, "tok_insufficient_funds"]
)
def test_card_tokens_within_the_rules_are_accepted(token: str) -> None:
    assert PaymentChoice.of("card", token) == PaymentChoice(PaymentMethod.CARD, token)


# --- the payment service's replies ----------------------------------------------------------


def test_a_declined_payment_rejects_with_its_reason_and_asks_for_the_release() -> None:
    order = awaiting_payment()
    assert order.decline("PAYMENT_DECLINED", at(2)) is Reply.APPLIED
    assert (order.status, order.reason, order.payment_status, order.awaiting) == (
        OrderStatus.REJECTED,
        "PAYMENT_DECLINED",
        PaymentStatus.DECLINED,
        Awaiting.RELEASE,
    )
    assert order.pull_events() == [
        OrderRejected(order_id="o-1", reason="PAYMENT_DECLINED", occurred_at=at(2))
    ]
    # Re-driven until the catalog released: the same OrderRejected.
    assert order.is_due_for_redrive(at(12), PLAN)
    order.redrive(at(12), PLAN)
    assert order.pull_events() == [
        OrderRejected(order_id="o-1", reason="PAYMENT_DECLINED", occurred_at=at(12))
    ]
    assert order.release_confirmed() is Reply.APPLIED
    assert not order.is_due_for_redrive(at(10_000), PLAN)


def test_a_payment_answer_before_the_reservation_moves_nothing() -> None:
    order = placed()
    assert order.authorize(at(1)) is Reply.RECORDED
    assert (order.status, order.awaiting) == (OrderStatus.PENDING, Awaiting.RESERVATION)
    assert order.pull_events() == []


def test_a_duplicate_authorization_changes_nothing() -> None:
    order = in_status(OrderStatus.CONFIRMED)
    before = order.updated_at
    assert order.authorize(at(9)) is Reply.IGNORED
    assert order.decline("PAYMENT_DECLINED", at(9)) is Reply.IGNORED
    assert (order.status, order.payment_status, order.updated_at) == (
        OrderStatus.CONFIRMED,
        PaymentStatus.AUTHORIZED,
        before,
    )
    assert order.pull_events() == []


def test_a_duplicate_decline_changes_nothing() -> None:
    order = in_status(OrderStatus.REJECTED)
    assert order.decline("PAYMENT_UNAVAILABLE", at(9)) is Reply.IGNORED
    assert order.authorize(at(9)) is Reply.IGNORED  # DECLINED is a payment's end
    assert (order.reason, order.payment_status) == ("PAYMENT_DECLINED", PaymentStatus.DECLINED)
    assert order.pull_events() == []


def test_a_late_authorization_of_a_cancelled_order_asks_again_for_the_release_and_void() -> None:
    order = in_status(OrderStatus.CANCELLED)
    order.release_confirmed()
    assert order.authorize(at(9)) is Reply.COMPENSATED
    assert (order.status, order.payment_status, order.awaiting) == (
        OrderStatus.CANCELLED,
        PaymentStatus.AUTHORIZED,
        Awaiting.RELEASE,
    )
    assert order.pull_events() == [OrderCancelled(order_id="o-1", occurred_at=at(9))]
    # The void then arrives; the authorization, repeated, no longer changes anything.
    assert order.payment_reported(PaymentStatus.VOIDED, at(10)) is Reply.RECORDED
    assert order.authorize(at(11)) is Reply.IGNORED
    assert order.payment_status is PaymentStatus.VOIDED
    assert order.status is OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("current", "reported", "moves"),
    [
        (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, True),
        (PaymentStatus.PENDING, PaymentStatus.VOIDED, True),  # the authorization was lost
        (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, True),
        (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED, True),
        (PaymentStatus.AUTHORIZED, PaymentStatus.AUTHORIZED, False),
        (PaymentStatus.VOIDED, PaymentStatus.AUTHORIZED, False),
        (PaymentStatus.CAPTURED, PaymentStatus.AUTHORIZED, False),
        (PaymentStatus.CAPTURED, PaymentStatus.VOIDED, False),
        (PaymentStatus.REFUNDED, PaymentStatus.CAPTURED, False),
        (PaymentStatus.DECLINED, PaymentStatus.AUTHORIZED, False),
    ],
)
def test_the_payment_only_moves_forward(
    current: PaymentStatus, reported: PaymentStatus, moves: bool
) -> None:
    assert follows(current, reported) is moves


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.DELIVERED])
def test_late_payment_events_never_move_a_final_order(status: OrderStatus) -> None:
    order = in_status(status)
    reason = order.reason
    for report in (order.authorize, lambda now: order.decline("PAYMENT_DECLINED", now)):
        report(at(20))
    for payment in PaymentStatus:
        order.payment_reported(payment, at(21))
    assert (order.status, order.reason) == (status, reason)


# --- fulfilment -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.CONFIRMED])
def test_only_a_confirmed_order_ships(status: OrderStatus) -> None:
    order = in_status(status)
    with pytest.raises(OrderNotShippable) as raised:
        order.ship("CJ", "T-2", at(30))
    assert isinstance(raised.value, Conflict)
    assert order.status is status
    assert order.pull_events() == []


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.SHIPPED])
def test_only_a_shipped_order_is_delivered(status: OrderStatus) -> None:
    order = in_status(status)
    with pytest.raises(OrderNotDeliverable) as raised:
        order.deliver(at(30))
    assert isinstance(raised.value, Conflict)
    assert order.status is status
    assert order.pull_events() == []


@pytest.mark.parametrize(
    "status",
    [OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
)
def test_cancel_is_refused_once_rejected_cancelled_shipped_or_delivered(
    status: OrderStatus,
) -> None:
    order = in_status(status)
    with pytest.raises(OrderNotCancellable):
        order.cancel(at(30))
    assert order.status is status
    assert order.pull_events() == []


@pytest.mark.parametrize(
    ("carrier", "tracking"), [("", "T-1"), ("CJ", ""), ("C" * 101, "T-1"), ("CJ", "1" * 101)]
)
def test_a_shipment_needs_1_to_100_characters_each(carrier: str, tracking: str) -> None:
    order = in_status(OrderStatus.CONFIRMED)
    with pytest.raises(InvalidInput):
        order.ship(carrier, tracking, at(30))
    assert order.status is OrderStatus.CONFIRMED and order.shipment is None


def test_cancel_while_awaiting_the_payment_releases_and_voids() -> None:
    order = awaiting_payment()
    order.cancel(at(2))
    assert (order.status, order.awaiting) == (OrderStatus.CANCELLED, Awaiting.RELEASE)
    assert order.pull_events() == [OrderCancelled(order_id="o-1", occurred_at=at(2))]
    # The authorization that was on its way confirms nothing.
    assert order.authorize(at(3)) is Reply.COMPENSATED
    assert order.status is OrderStatus.CANCELLED


# --- re-drive of the payment step and the deadline -------------------------------------------


def test_a_quiet_payment_request_is_repeated_with_the_same_payload() -> None:
    order = awaiting_payment(CARD)
    assert not order.is_due_for_redrive(at(10), PLAN)
    assert order.is_due_for_redrive(at(11), PLAN)
    order.redrive(at(11), PLAN)
    assert order.pull_events() == [card_payment_requested(at(11))]
    assert (order.publish_count, order.payment_requested_at) == (2, at(1))


def test_an_order_stops_waiting_for_its_payment_at_the_deadline() -> None:
    order = awaiting_payment()  # asked for the payment at 1 s
    order.redrive(at(11), PLAN)
    order.redrive(at(45), PLAN)  # the third send: the next one would wait 20 s
    order.pull_events()
    assert not order.payment_overdue(at(60.9), PLAN)
    assert not order.is_due_for_redrive(at(60.9), PLAN)
    # Due at the deadline, though the back-off would wait until 65 s.
    assert order.is_due_for_redrive(at(61), PLAN)
    order.redrive(at(61), PLAN)
    assert (order.status, order.reason, order.awaiting, order.payment_status) == (
        OrderStatus.REJECTED,
        PAYMENT_UNAVAILABLE,
        Awaiting.RELEASE,
        PaymentStatus.PENDING,  # the payment service has not answered: nothing to claim
    )
    assert order.held_units == 0
    assert order.pull_events() == [
        OrderRejected(order_id="o-1", reason=PAYMENT_UNAVAILABLE, occurred_at=at(61))
    ]
    # A late authorization does not confirm it; it asks again for the release and the void.
    assert order.authorize(at(62)) is Reply.COMPENSATED
    assert order.status is OrderStatus.REJECTED
    assert order.pull_events() == [
        OrderRejected(order_id="o-1", reason=PAYMENT_UNAVAILABLE, occurred_at=at(62))
    ]


def test_the_deadline_does_not_apply_while_the_catalog_is_awaited() -> None:
    order = placed()
    order.redrive(at(100), PLAN)
    assert order.status is OrderStatus.PENDING and order.awaiting is Awaiting.RESERVATION


# --- held units (ADR 0063) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "held"),
    [
        (OrderStatus.PENDING, 3),
        (OrderStatus.CONFIRMED, 3),
        (OrderStatus.REJECTED, 0),
        (OrderStatus.CANCELLED, 0),
        (OrderStatus.SHIPPED, 0),
        (OrderStatus.DELIVERED, 0),
    ],
)
def test_held_units_in_each_status(status: OrderStatus, held: int) -> None:
    assert in_status(status).held_units == held
