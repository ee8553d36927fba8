"""Use cases against in-memory fakes: placement, idempotency, cancel, catalog and payment
replies, fulfilment, reads, re-drive and the payment deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commerce.kernel.domain import Conflict
from commerce.order.application.answer_delay import AnswerDelay
from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.commands import (
    CancelOrder,
    DeliverOrder,
    PaymentInput,
    PlaceOrder,
    RecordPayment,
    RecordRejection,
    RecordRelease,
    RecordReservation,
    ShipOrder,
)
from commerce.order.application.errors import (
    IdempotencyKeyReused,
    NotStaff,
    OrderChangedMeanwhile,
    OrderNotFound,
)
from commerce.order.application.fulfilment import FulfilmentHandler
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.ports import RedrivePolicy, StaleOrder
from commerce.order.application.redrive import RedrivePendingOrders
from commerce.order.application.retry import ATTEMPTS
from commerce.order.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
)
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import (
    PAYMENT_UNAVAILABLE,
    Awaiting,
    OrderNotCancellable,
    OrderNotShippable,
    OrderStatus,
    Reply,
)
from commerce.order.domain.payment import PaymentMethod, PaymentStatus
from commerce.order.domain.redrive import RedriveSchedule
from tests.unit.order.fakes import FakeClock, FakeUnitOfWork, SequentialIds, Store

LINES = (("p-1", 2), ("p-2", 1))
PRICED = (PricedLine("p-1", 2, 1000), PricedLine("p-2", 1, 500))


class Service:
    def __init__(self) -> None:
        self.store = Store()
        self.clock = FakeClock()
        uow = lambda: FakeUnitOfWork(self.store)  # noqa: E731
        delay = AnswerDelay(window=timedelta(seconds=10))
        self.place = PlaceOrderHandler(uow, self.clock, SequentialIds(), max_held_units=1000)
        self.cancel = CancelOrderHandler(uow, self.clock)
        self.replies = CatalogReplyHandler(uow, self.clock, answer_delay=delay)
        self.payments = PaymentReplyHandler(uow, self.clock, answer_delay=delay)
        self.fulfilment = FulfilmentHandler(uow, self.clock)
        self.redrive = RedrivePendingOrders(
            uow,
            self.clock,
            RedrivePolicy(
                RedriveSchedule(
                    after=timedelta(seconds=10),
                    interval=timedelta(seconds=5),
                    max_interval=timedelta(seconds=20),
                    payment_deadline=timedelta(seconds=60),
                ),
                batch_size=10,
            ),
            answer_delay=delay,
        )


@pytest.fixture
def service() -> Service:
    return Service()


async def test_place_writes_a_pending_order_and_its_order_placed_event(service: Service) -> None:
    placement = await service.place(PlaceOrder(user_id="u-1", lines=LINES))
    assert placement.created
    assert placement.order.status == "PENDING"
    assert placement.order.total is None
    assert [(i.product_id, i.quantity, i.unit_price) for i in placement.order.items] == [
        ("p-1", 2, None),
        ("p-2", 1, None),
    ]
    assert list(service.store.orders) == [placement.order.id]
    (event,) = service.store.outbox
    assert isinstance(event, OrderPlaced) and event.order_id == placement.order.id
    assert service.store.commits == 1


async def test_same_key_same_body_returns_the_first_order_and_creates_nothing(
    service: Service,
) -> None:
    first = await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    again = await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    assert first.created and not again.created
    assert again.order.id == first.order.id
    assert len(service.store.orders) == 1 and len(service.store.outbox) == 1


async def test_same_key_different_body_is_refused(service: Service) -> None:
    await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    with pytest.raises(IdempotencyKeyReused):
        await service.place(PlaceOrder("u-1", (("p-1", 3),), idempotency_key="k-1"))
    with pytest.raises(IdempotencyKeyReused):
        await service.place(PlaceOrder("u-1", tuple(reversed(LINES)), idempotency_key="k-1"))
    assert len(service.store.orders) == 1


async def test_keys_belong_to_one_user_and_are_case_sensitive(service: Service) -> None:
    a = await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    b = await service.place(PlaceOrder("u-2", LINES, idempotency_key="k-1"))
    c = await service.place(PlaceOrder("u-1", LINES, idempotency_key="K-1"))
    assert len({a.order.id, b.order.id, c.order.id}) == 3


async def test_the_key_is_looked_up_only_after_its_insert_failed(service: Service) -> None:
    """A first request costs no look-up; a replay (or a lost race) is found by the unique
    constraint and answered with the first request's order."""
    original = service.place._earlier  # type: ignore[attr-defined]
    calls = 0

    async def counted(user_id, request):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await original(user_id, request)

    service.place._earlier = counted  # type: ignore[attr-defined,method-assign]
    first = await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    assert calls == 0 and first.created
    again = await service.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    assert calls == 1
    assert not again.created and again.order.id == first.order.id
    assert len(service.store.orders) == 1


async def test_cancel_by_owner(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    cancelled = await service.cancel(CancelOrder("u-1", placed.order.id))
    assert cancelled.status == "CANCELLED"
    assert service.store.orders[placed.order.id].status is OrderStatus.CANCELLED
    assert isinstance(service.store.outbox[-1], OrderCancelled)


async def test_cancel_of_someone_elses_or_a_missing_order_is_not_found(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    with pytest.raises(OrderNotFound):
        await service.cancel(CancelOrder("u-2", placed.order.id))
    with pytest.raises(OrderNotFound):
        await service.cancel(CancelOrder("u-1", "nope"))
    assert service.store.orders[placed.order.id].status is OrderStatus.PENDING


async def test_cancel_twice_is_a_conflict_and_writes_nothing(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.cancel(CancelOrder("u-1", placed.order.id))
    events = len(service.store.outbox)
    with pytest.raises(OrderNotCancellable):
        await service.cancel(CancelOrder("u-1", placed.order.id))
    assert len(service.store.outbox) == events


async def test_a_cancel_that_keeps_losing_the_race_is_a_conflict_to_retry(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    from tests.unit.order import fakes

    attempts = 0

    async def always_stale(self, order):  # type: ignore[no-untyped-def]
        nonlocal attempts
        attempts += 1
        raise StaleOrder()

    monkeypatch.setattr(fakes.FakeOrderRepository, "save", always_stale)
    with pytest.raises(OrderChangedMeanwhile) as caught:
        await service.cancel(CancelOrder("u-1", placed.order.id))
    assert isinstance(caught.value, Conflict)  # 409 problem, not a 500
    assert isinstance(caught.value.__cause__, StaleOrder)
    assert attempts == ATTEMPTS
    assert service.store.orders[placed.order.id].status is OrderStatus.PENDING
    assert [type(e) for e in service.store.outbox] == [OrderPlaced]


async def test_stock_reserved_asks_for_the_payment_and_its_authorization_confirms_once(
    service: Service,
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    reserved = RecordReservation("e-1", placed.order.id, PRICED)
    assert await service.replies.reserved(reserved) is Reply.APPLIED
    assert await service.replies.reserved(reserved) is None  # redelivery: inbox
    order = service.store.orders[placed.order.id]
    assert (order.status, order.awaiting, order.total) == (
        OrderStatus.PENDING,
        Awaiting.PAYMENT,
        2500,
    )
    [requested] = [e for e in service.store.outbox if isinstance(e, PaymentRequested)]
    assert (requested.amount, requested.method) == (2500, "invoice")
    authorized = RecordPayment("e-2", placed.order.id, PaymentStatus.AUTHORIZED)
    assert await service.payments(authorized) is Reply.APPLIED
    assert await service.payments(authorized) is None  # redelivery: inbox
    order = service.store.orders[placed.order.id]
    assert order.status is OrderStatus.CONFIRMED and order.total == 2500
    confirmed = [e for e in service.store.outbox if isinstance(e, OrderConfirmed)]
    assert confirmed == [
        OrderConfirmed(order_id=order.id, total=2500, occurred_at=order.updated_at)
    ]


async def test_stock_rejected_rejects_with_reason(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    rejected = RecordRejection("e-1", placed.order.id, "OUT_OF_STOCK")
    assert await service.replies.rejected(rejected) is Reply.APPLIED
    order = service.store.orders[placed.order.id]
    assert order.status is OrderStatus.REJECTED and order.reason == "OUT_OF_STOCK"
    assert isinstance(service.store.outbox[-1], OrderRejected)


async def test_a_reservation_after_cancel_is_released_not_applied(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.cancel(CancelOrder("u-1", placed.order.id))
    service.clock.advance(3)
    reply = await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    assert reply is Reply.COMPENSATED
    stored = service.store.orders[placed.order.id]
    assert stored.status is OrderStatus.CANCELLED
    assert [type(e) for e in service.store.outbox] == [OrderPlaced, OrderCancelled, OrderCancelled]
    # The repeated release is saved with the event: its re-drive clock starts anew.
    assert stored.awaiting is Awaiting.RELEASE and stored.last_published_at == service.clock.now
    assert stored.version == 2  # placed, cancelled, compensated


async def test_a_late_reservation_of_a_rejected_order_awaits_its_release(
    service: Service,
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.replies.rejected(RecordRejection("e-1", placed.order.id, "OUT_OF_STOCK"))
    reply = await service.replies.reserved(RecordReservation("e-2", placed.order.id, PRICED))
    assert reply is Reply.COMPENSATED
    stored = service.store.orders[placed.order.id]
    assert (stored.status, stored.awaiting) == (OrderStatus.REJECTED, Awaiting.RELEASE)
    assert stored.publish_count == 1
    # Lost with the broker, the release is asked for again.
    service.clock.advance(10)
    assert await service.redrive() == 1
    assert isinstance(service.store.outbox[-1], OrderRejected)
    assert await service.replies.released(RecordRelease("e-3", placed.order.id)) is Reply.APPLIED
    assert service.store.orders[placed.order.id].awaiting is None


async def test_a_reply_for_an_unknown_order_is_recorded_and_ignored(service: Service) -> None:
    assert await service.replies.reserved(RecordReservation("e-1", "ghost", PRICED)) is None
    assert "e-1" in service.store.inbox
    assert service.store.outbox == []


async def test_a_reply_that_loses_a_race_is_left_to_the_consumer_and_applies_when_redelivered(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    from tests.unit.order import fakes

    original = fakes.FakeOrderRepository.save
    failures = 1

    async def stale_once(self, order):  # type: ignore[no-untyped-def]
        nonlocal failures
        if failures:
            failures -= 1
            raise StaleOrder()
        await original(self, order)

    monkeypatch.setattr(fakes.FakeOrderRepository, "save", stale_once)
    command = RecordReservation("e-1", placed.order.id, PRICED)
    # One attempt: the race propagates (the consumer's processor retries the message)...
    with pytest.raises(StaleOrder):
        await service.replies.reserved(command)
    assert "e-1" not in service.store.inbox  # ...and nothing of that attempt was kept.
    reply = await service.replies.reserved(command)
    assert reply is Reply.APPLIED
    assert service.store.orders[placed.order.id].awaiting is Awaiting.PAYMENT
    assert sum(isinstance(e, PaymentRequested) for e in service.store.outbox) == 1


async def test_redrive_republishes_only_due_pending_orders_at_the_interval(
    service: Service,
) -> None:
    stuck = await service.place(PlaceOrder("u-1", LINES))
    done = await service.place(PlaceOrder("u-1", LINES))
    await service.replies.rejected(RecordRejection("e-1", done.order.id, "OUT_OF_STOCK"))
    service.clock.advance(9)
    assert await service.redrive() == 0
    service.clock.advance(1)
    assert await service.redrive() == 1
    assert await service.redrive() == 0  # not again before the interval
    service.clock.advance(5)
    assert await service.redrive() == 1
    placed = [e for e in service.store.outbox if isinstance(e, OrderPlaced)]
    assert [e.order_id for e in placed] == [
        stuck.order.id,
        done.order.id,
        stuck.order.id,
        stuck.order.id,
    ]
    assert service.store.orders[stuck.order.id].publish_count == 3


async def test_while_answers_come_late_an_order_waits_that_much_longer_before_asking_again(
    service: Service,
) -> None:
    # A backlog: the catalog answers the first order 12 s after it was placed.
    first = await service.place(PlaceOrder("u-1", LINES))
    waiting = await service.place(PlaceOrder("u-1", LINES))
    service.clock.advance(12)
    await service.replies.rejected(RecordRejection("e-1", first.order.id, "OUT_OF_STOCK"))
    # The second order has waited 12 s too, but answers take 12 s now: it is late, not lost.
    assert await service.redrive() == 0
    service.clock.advance(9)  # 21 s: still within 10 + 12
    assert await service.redrive() == 0
    service.clock.advance(1)  # 22 s: waited the schedule's 10 s beyond the answers' 12
    assert await service.redrive() == 1
    assert service.store.orders[waiting.order.id].publish_count == 2


async def test_once_no_answer_came_for_a_window_the_schedule_applies_as_it_is(
    service: Service,
) -> None:
    first = await service.place(PlaceOrder("u-1", LINES))
    service.clock.advance(30)
    await service.replies.rejected(RecordRejection("e-1", first.order.id, "OUT_OF_STOCK"))
    lost = await service.place(PlaceOrder("u-1", LINES))
    service.clock.advance(10)  # the 30 s answer is just within the window: still late
    assert await service.redrive() == 0
    service.clock.advance(1)  # nothing answered for longer than the window
    assert await service.redrive() == 1
    assert service.store.orders[lost.order.id].publish_count == 2


async def test_an_order_nobody_answers_is_asked_again_less_and_less_often(
    service: Service,
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    asked_at = []
    for _ in range(90):  # 90 s in 1 s steps
        service.clock.advance(1)
        if await service.redrive():
            asked_at.append(int((service.clock.now - placed.order.created_at).total_seconds()))
    # after 10 s, then every 5 s doubling up to 20 s
    assert asked_at == [10, 15, 25, 45, 65, 85]
    assert service.store.orders[placed.order.id].publish_count == 7


async def test_a_redriven_order_still_finishes_once(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    service.clock.advance(10)
    await service.redrive()
    await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    # the catalog answers the repeated request too, with its own event id
    assert await service.replies.reserved(RecordReservation("e-2", placed.order.id, PRICED)) is (
        Reply.IGNORED
    )
    await service.payments(RecordPayment("e-3", placed.order.id, PaymentStatus.AUTHORIZED))
    service.clock.advance(60)
    assert await service.redrive() == 0
    assert sum(isinstance(e, OrderConfirmed) for e in service.store.outbox) == 1


async def test_a_cancellation_is_redriven_until_stock_released(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    await service.payments(RecordPayment("e-1p", placed.order.id, PaymentStatus.AUTHORIZED))
    await service.cancel(CancelOrder("u-1", placed.order.id))
    service.clock.advance(10)
    assert await service.redrive() == 1
    assert isinstance(service.store.outbox[-1], OrderCancelled)
    assert await service.replies.released(RecordRelease("e-2", placed.order.id)) is Reply.APPLIED
    assert await service.replies.released(RecordRelease("e-3", placed.order.id)) is Reply.IGNORED
    service.clock.advance(60)
    assert await service.redrive() == 0
    cancels = [e for e in service.store.outbox if isinstance(e, OrderCancelled)]
    assert len(cancels) == 2
    assert service.store.orders[placed.order.id].status is OrderStatus.CANCELLED


# --- v1.1: payment, fulfilment, reads for STAFF, the payment deadline -----------------------


async def confirmed(service: Service, payment: PaymentInput | None = None) -> str:
    placed = await service.place(PlaceOrder("u-1", LINES, payment=payment))
    order_id = placed.order.id
    await service.replies.reserved(RecordReservation(f"r-{order_id}", order_id, PRICED))
    await service.payments(RecordPayment(f"a-{order_id}", order_id, PaymentStatus.AUTHORIZED))
    return order_id


async def test_a_card_order_asks_the_payment_service_with_its_token(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES, payment=PaymentInput("card", "tok_visa")))
    assert placed.order.payment.method == "card" and placed.order.payment.status == "PENDING"
    order = service.store.orders[placed.order.id]
    assert (order.payment.method, order.payment.token) == (PaymentMethod.CARD, "tok_visa")
    await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    requested = service.store.outbox[-1]
    assert isinstance(requested, PaymentRequested)
    assert (requested.amount, requested.method, requested.token) == (2500, "card", "tok_visa")


async def test_the_same_key_with_another_payment_is_refused(service: Service) -> None:
    await service.place(PlaceOrder("u-1", LINES, "k-1", PaymentInput("card", "tok_visa")))
    again = await service.place(PlaceOrder("u-1", LINES, "k-1", PaymentInput("card", "tok_visa")))
    assert not again.created
    for other in (None, PaymentInput("invoice"), PaymentInput("card", "tok_flaky")):
        with pytest.raises(IdempotencyKeyReused):
            await service.place(PlaceOrder("u-1", LINES, "k-1", other))
    assert len(service.store.orders) == 1


async def test_a_declined_payment_rejects_and_releases_the_units(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    assert service.store.held_units["u-1"] == 3
    declined = RecordPayment("e-2", placed.order.id, PaymentStatus.DECLINED, "PAYMENT_DECLINED")
    assert await service.payments(declined) is Reply.APPLIED
    order = service.store.orders[placed.order.id]
    assert (order.status, order.reason, order.awaiting) == (
        OrderStatus.REJECTED,
        "PAYMENT_DECLINED",
        Awaiting.RELEASE,
    )
    assert service.store.outbox[-1] == OrderRejected(
        order_id=order.id, reason="PAYMENT_DECLINED", occurred_at=service.clock.now
    )
    assert service.store.held_units["u-1"] == 0


async def test_ship_and_deliver_for_staff_give_the_units_back(service: Service) -> None:
    order_id = await confirmed(service)
    assert service.store.held_units["u-1"] == 3
    shipped = await service.fulfilment.ship(ShipOrder(order_id, "CJ", "T-1", staff=True))
    assert shipped.status == "SHIPPED" and shipped.shipment is not None
    assert (shipped.shipment.carrier, shipped.shipment.tracking_number) == ("CJ", "T-1")
    assert service.store.held_units["u-1"] == 0
    assert isinstance(service.store.outbox[-1], OrderShipped)
    delivered = await service.fulfilment.deliver(DeliverOrder(order_id, staff=True))
    assert delivered.status == "DELIVERED" and delivered.shipment is not None
    assert delivered.shipment.delivered_at == service.clock.now
    assert service.store.held_units["u-1"] == 0


async def test_fulfilment_is_for_staff_and_known_orders_only(service: Service) -> None:
    order_id = await confirmed(service)
    with pytest.raises(NotStaff):
        await service.fulfilment.ship(ShipOrder(order_id, "CJ", "T-1", staff=False))
    with pytest.raises(NotStaff):
        await service.fulfilment.deliver(DeliverOrder(order_id, staff=False))
    with pytest.raises(OrderNotFound):
        await service.fulfilment.ship(ShipOrder("nope", "CJ", "T-1", staff=True))
    with pytest.raises(NotStaff):  # refused before the look-up: nothing learnt
        await service.fulfilment.ship(ShipOrder("nope", "CJ", "T-1", staff=False))
    assert service.store.orders[order_id].status is OrderStatus.CONFIRMED


async def test_a_pending_order_does_not_ship(service: Service) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    with pytest.raises(OrderNotShippable):
        await service.fulfilment.ship(ShipOrder(placed.order.id, "CJ", "T-1", staff=True))
    assert service.store.orders[placed.order.id].status is OrderStatus.PENDING


async def test_a_shipped_order_cannot_be_cancelled(service: Service) -> None:
    order_id = await confirmed(service)
    await service.fulfilment.ship(ShipOrder(order_id, "CJ", "T-1", staff=True))
    with pytest.raises(OrderNotCancellable):
        await service.cancel(CancelOrder("u-1", order_id))
    assert service.store.orders[order_id].status is OrderStatus.SHIPPED


async def test_a_quiet_payment_request_is_redriven_then_the_order_gives_up_at_the_deadline(
    service: Service,
) -> None:
    placed = await service.place(PlaceOrder("u-1", LINES))
    await service.replies.reserved(RecordReservation("e-1", placed.order.id, PRICED))
    for _ in range(70):
        service.clock.advance(1)
        await service.redrive()
        if service.store.orders[placed.order.id].status is not OrderStatus.PENDING:
            break
    requests = [e for e in service.store.outbox if isinstance(e, PaymentRequested)]
    assert len(requests) == 5  # the first, then at 10, 15, 25, 45 s
    assert {(e.amount, e.method, e.token) for e in requests} == {(2500, "invoice", None)}
    order = service.store.orders[placed.order.id]
    assert (order.status, order.reason, order.awaiting) == (
        OrderStatus.REJECTED,
        PAYMENT_UNAVAILABLE,
        Awaiting.RELEASE,
    )
    assert order.updated_at - order.payment_requested_at == timedelta(seconds=60)  # type: ignore[operator]
    assert service.store.held_units["u-1"] == 0
    # Too late now: the authorization confirms nothing.
    late = RecordPayment("e-9", placed.order.id, PaymentStatus.AUTHORIZED)
    assert await service.payments(late) is Reply.COMPENSATED
    assert service.store.orders[placed.order.id].status is OrderStatus.REJECTED
    assert isinstance(service.store.outbox[-1], OrderRejected)
