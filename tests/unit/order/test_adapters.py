"""Adapters with fakes behind them: catalog and payment events in, contract events out, the
re-drive task."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from commerce.contracts import catalog, ordering, payments
from commerce.contracts.envelope import EventEnvelope, EventPayload, parse_payload
from commerce.order.adapters.inbound.catalog_events import CatalogEventsHandler
from commerce.order.adapters.inbound.payment_events import PaymentEventsHandler
from commerce.order.adapters.inbound.redrive_task import redrive_task
from commerce.order.adapters.outbound.events import envelope_of
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.commands import PlaceOrder
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.domain import events
from commerce.order.domain.order import Awaiting, OrderStatus
from commerce.order.domain.payment import PaymentStatus
from tests.unit.order.fakes import FakeClock, FakeUnitOfWork, SequentialIds, Store

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class Saga:
    def __init__(self) -> None:
        self.store = Store()
        clock = FakeClock()
        self.place = PlaceOrderHandler(
            lambda: FakeUnitOfWork(self.store), clock, SequentialIds(), max_held_units=1000
        )
        replies = CatalogReplyHandler(lambda: FakeUnitOfWork(self.store), clock)
        self.catalog = CatalogEventsHandler(replies)
        self.payment = PaymentEventsHandler(
            PaymentReplyHandler(lambda: FakeUnitOfWork(self.store), clock)
        )

    async def handle(self, envelope: EventEnvelope) -> None:
        # As the bootstrap wires them: one consumer, each handler skips the other's types.
        await self.catalog(envelope)
        await self.payment(envelope)

    async def order(self) -> str:
        placement = await self.place(PlaceOrder("u-1", (("p-1", 2), ("p-2", 1))))
        return placement.order.id

    def status(self, order_id: str) -> OrderStatus:
        return self.store.orders[order_id].status


def envelope(payload: EventPayload) -> EventEnvelope:
    return EventEnvelope.wrap(payload, "product")


def reserved(order_id: str) -> EventEnvelope:
    return envelope(
        catalog.StockReserved(
            order_id=order_id,
            items=[
                catalog.PricedLine(product_id="p-1", quantity=2, unit_price=100),
                catalog.PricedLine(product_id="p-2", quantity=1, unit_price=50),
            ],
        )
    )


async def test_stock_reserved_prices_the_order_and_asks_for_its_payment() -> None:
    saga = Saga()
    order_id = await saga.order()
    await saga.handle(reserved(order_id))
    order = saga.store.orders[order_id]
    assert (order.status, order.awaiting, order.total) == (
        OrderStatus.PENDING,
        Awaiting.PAYMENT,
        250,
    )
    requested = saga.store.outbox[-1]
    assert isinstance(requested, events.PaymentRequested)
    assert (requested.amount, requested.method, requested.token) == (250, "invoice", None)


async def test_payment_authorized_confirms_the_order() -> None:
    saga = Saga()
    order_id = await saga.order()
    await saga.handle(reserved(order_id))
    await saga.handle(
        envelope(payments.PaymentAuthorized(order_id=order_id, payment_id="pay-1", amount=250))
    )
    order = saga.store.orders[order_id]
    assert (order.status, order.payment_status) == (
        OrderStatus.CONFIRMED,
        PaymentStatus.AUTHORIZED,
    )


async def test_payment_declined_rejects_with_its_reason_and_asks_for_the_release() -> None:
    saga = Saga()
    order_id = await saga.order()
    await saga.handle(reserved(order_id))
    declined = payments.PaymentDeclined(
        order_id=order_id, payment_id="pay-1", reason="PAYMENT_DECLINED"
    )
    await saga.handle(envelope(declined))
    order = saga.store.orders[order_id]
    assert (order.status, order.reason, order.payment_status, order.awaiting) == (
        OrderStatus.REJECTED,
        "PAYMENT_DECLINED",
        PaymentStatus.DECLINED,
        Awaiting.RELEASE,
    )
    assert saga.store.outbox[-1] == events.OrderRejected(
        order_id=order_id, reason="PAYMENT_DECLINED", occurred_at=order.updated_at
    )


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (payments.PaymentCaptured(order_id="o", payment_id="p", amount=1), PaymentStatus.CAPTURED),
        (payments.PaymentVoided(order_id="o", payment_id="p"), PaymentStatus.VOIDED),
        (payments.PaymentRefunded(order_id="o", payment_id="p", amount=1), PaymentStatus.REFUNDED),
    ],
)
async def test_later_payment_events_note_the_payment_only(
    payload: payments.PaymentCaptured, status: PaymentStatus
) -> None:
    saga = Saga()
    order_id = await saga.order()
    await saga.handle(reserved(order_id))
    await saga.handle(
        envelope(payments.PaymentAuthorized(order_id=order_id, payment_id="p", amount=250))
    )
    await saga.handle(envelope(payload.model_copy(update={"order_id": order_id})))
    order = saga.store.orders[order_id]
    assert (order.status, order.payment_status) == (OrderStatus.CONFIRMED, status)


async def test_a_malformed_payment_event_raises_so_the_consumer_retries_then_parks_it() -> None:
    saga = Saga()
    order_id = await saga.order()
    await saga.handle(reserved(order_id))
    broken = EventEnvelope(
        id="e-9",
        type="PaymentDeclined",
        occurred_at=T0,
        source="payment",
        data={"order_id": order_id, "payment_id": "p", "reason": "NO_REASON_WE_KNOW"},
    )
    with pytest.raises(ValidationError):
        await saga.handle(broken)
    assert saga.status(order_id) is OrderStatus.PENDING


async def test_stock_rejected_rejects_with_its_reason() -> None:
    saga = Saga()
    order_id = await saga.order()
    rejected = catalog.StockRejected(
        order_id=order_id, reason="PRODUCT_NOT_FOUND", product_ids=["p-2"]
    )
    await saga.handle(envelope(rejected))
    assert saga.status(order_id) is OrderStatus.REJECTED
    assert saga.store.orders[order_id].reason == "PRODUCT_NOT_FOUND"


async def test_an_invalid_order_rejected_by_the_catalog_ends_rejected() -> None:
    saga = Saga()
    order_id = await saga.order()
    rejected = {"order_id": order_id, "reason": "INVALID_ORDER", "product_ids": []}
    await saga.handle(
        EventEnvelope(
            id="e-1", type="StockRejected", occurred_at=T0, source="product", data=rejected
        )
    )
    assert saga.status(order_id) is OrderStatus.REJECTED
    assert saga.store.orders[order_id].reason == "INVALID_ORDER"
    assert saga.store.orders[order_id].awaiting is None  # no more re-drives


async def test_stock_released_ends_the_wait_for_a_release() -> None:
    saga = Saga()
    order_id = await saga.order()
    saga.store.orders[order_id].cancel(T0)
    await saga.handle(envelope(catalog.StockReleased(order_id=order_id)))
    assert saga.store.orders[order_id].awaiting is None


async def test_events_the_order_does_not_need_are_ignored_without_a_trace() -> None:
    saga = Saga()
    created = catalog.ProductCreated(product_id="p-1", seller_id="s", name="n", price=1, stock=1)
    await saga.handle(envelope(created))
    unknown = EventEnvelope(
        id="e-1", type="ProductDiscontinued", occurred_at=T0, source="product", data={}
    )
    await saga.handle(unknown)
    ours = ordering.OrderConfirmed(order_id="o-1", total=1)  # order's own events: not replies
    await saga.handle(EventEnvelope.wrap(ours, "order"))
    assert saga.store.inbox == set() and saga.store.commits == 0


async def test_a_malformed_reply_raises_so_the_consumer_retries_then_parks_it() -> None:
    saga = Saga()
    order_id = await saga.order()
    broken = EventEnvelope(
        id="e-1",
        type="StockReserved",
        occurred_at=T0,
        source="product",
        data={"order_id": order_id},
    )
    with pytest.raises(ValidationError):
        await saga.handle(broken)
    assert saga.status(order_id) is OrderStatus.PENDING


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            events.OrderPlaced(
                order_id="o-1",
                user_id="u-1",
                lines=(events.RequestedLine(product_id="p-1", quantity=2),),
                occurred_at=T0,
            ),
            ordering.OrderPlaced(
                order_id="o-1",
                user_id="u-1",
                items=[ordering.OrderLine(product_id="p-1", quantity=2)],
            ),
        ),
        (
            events.OrderConfirmed(order_id="o-1", total=5, occurred_at=T0),
            ordering.OrderConfirmed(order_id="o-1", total=5),
        ),
        (
            events.OrderRejected(order_id="o-1", reason="OUT_OF_STOCK", occurred_at=T0),
            ordering.OrderRejected(order_id="o-1", reason="OUT_OF_STOCK"),
        ),
        (
            events.OrderCancelled(order_id="o-1", occurred_at=T0),
            ordering.OrderCancelled(order_id="o-1"),
        ),
        (
            events.PaymentRequested(
                order_id="o-1",
                user_id="u-1",
                amount=900,
                method="card",
                token="tok_visa",
                occurred_at=T0,
            ),
            ordering.PaymentRequested(
                order_id="o-1", user_id="u-1", amount=900, method="card", token="tok_visa"
            ),
        ),
        (
            events.PaymentRequested(
                order_id="o-1",
                user_id="u-1",
                amount=0,
                method="invoice",
                token=None,
                occurred_at=T0,
            ),
            ordering.PaymentRequested(order_id="o-1", user_id="u-1", amount=0, method="invoice"),
        ),
        (
            events.OrderShipped(
                order_id="o-1", carrier="CJ", tracking_number="123", occurred_at=T0
            ),
            ordering.OrderShipped(order_id="o-1", carrier="CJ", tracking_number="123"),
        ),
        (
            events.OrderDelivered(order_id="o-1", occurred_at=T0),
            ordering.OrderDelivered(order_id="o-1"),
        ),
    ],
)
def test_domain_events_become_contract_events(event: object, expected: object) -> None:
    first, second = envelope_of(event), envelope_of(event)  # type: ignore[arg-type]
    assert parse_payload(first) == expected
    assert first.source == "order" and first.occurred_at == T0
    assert first.id != second.id  # a re-driven request is a new message


async def test_the_redrive_task_keeps_going_after_a_failure() -> None:
    calls = 0
    third = asyncio.Event()

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            third.set()
        if calls == 1:
            raise RuntimeError("database away")
        return 1

    task = redrive_task(flaky, poll_seconds=0.001)
    task.start()
    try:
        await asyncio.wait_for(third.wait(), timeout=10)
    finally:
        await task.stop()
    assert calls >= 3
