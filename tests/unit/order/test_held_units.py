"""The per-user cap on units held by orders that are not final (ADR 0063), with fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.commands import (
    CancelOrder,
    PlaceOrder,
    RecordPayment,
    RecordRejection,
    RecordReservation,
    ShipOrder,
)
from commerce.order.application.errors import HeldUnitsCapReached
from commerce.order.application.fulfilment import FulfilmentHandler
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import Order, OrderStatus
from commerce.order.domain.payment import PaymentStatus
from tests.unit.order.fakes import FakeClock, FakeUnitOfWork, SequentialIds, Store

CAP = 100


class Service:
    def __init__(self) -> None:
        self.store = Store()
        clock = FakeClock()
        uow = lambda: FakeUnitOfWork(self.store)  # noqa: E731
        self.place = PlaceOrderHandler(uow, clock, SequentialIds(), max_held_units=CAP)
        self.cancel = CancelOrderHandler(uow, clock)
        self.replies = CatalogReplyHandler(uow, clock)
        self.payments = PaymentReplyHandler(uow, clock)
        self.fulfilment = FulfilmentHandler(uow, clock)

    async def placed(self, user_id: str, units: int, key: str | None = None) -> str:
        placement = await self.place(PlaceOrder(user_id, (("p-1", units),), key))
        return placement.order.id

    def held(self, user_id: str) -> int:
        return self.store.held_units[user_id]


@pytest.fixture
def service() -> Service:
    return Service()


def test_only_pending_and_confirmed_orders_hold_their_units() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    order = Order.place(order_id="o-1", user_id="u-1", lines=[("p-1", 3), ("p-2", 4)], now=now)
    assert order.held_units == 7
    order.stock_reserved([PricedLine("p-1", 3, 10), PricedLine("p-2", 4, 10)], now)
    assert order.held_units == 7
    order.authorize(now)
    assert order.held_units == 7
    order.cancel(now)
    assert order.held_units == 0
    rejected = Order.place(order_id="o-2", user_id="u-1", lines=[("p-1", 3)], now=now)
    rejected.reject("OUT_OF_STOCK", now)
    assert rejected.held_units == 0


async def test_orders_are_accepted_up_to_the_cap_exactly(service: Service) -> None:
    await service.placed("u-1", 60)
    await service.placed("u-1", 40)
    assert service.held("u-1") == CAP


async def test_an_order_over_the_cap_is_refused_and_nothing_is_saved_or_published(
    service: Service,
) -> None:
    first = await service.placed("u-1", 60)
    events = list(service.store.outbox)

    with pytest.raises(HeldUnitsCapReached) as refused:
        await service.placed("u-1", 41)

    assert list(service.store.orders) == [first]
    assert service.store.outbox == events
    assert service.held("u-1") == 60
    assert (refused.value.cap, refused.value.held, refused.value.wanted) == (CAP, 60, 41)
    assert "100 units" in refused.value.message and "hold 60" in refused.value.message


async def test_the_cap_is_per_user(service: Service) -> None:
    await service.placed("u-1", CAP)
    await service.placed("u-2", CAP)
    assert (service.held("u-1"), service.held("u-2")) == (CAP, CAP)


async def test_a_confirmed_order_keeps_holding(service: Service) -> None:
    order_id = await service.placed("u-1", CAP)
    priced = (PricedLine("p-1", CAP, 10),)
    await service.replies.reserved(RecordReservation("evt-1", order_id, priced))
    await service.payments(RecordPayment("evt-2", order_id, PaymentStatus.AUTHORIZED))
    assert service.store.orders[order_id].status is OrderStatus.CONFIRMED
    with pytest.raises(HeldUnitsCapReached):
        await service.placed("u-1", 1)
    # Shipped, it holds nothing: the stock has left (ADR 0063).
    await service.fulfilment.ship(ShipOrder(order_id, "CJ", "T-1", staff=True))
    assert service.held("u-1") == 0
    await service.placed("u-1", CAP)


async def test_a_declined_payment_gives_the_units_back_once(service: Service) -> None:
    order_id = await service.placed("u-1", CAP)
    priced = (PricedLine("p-1", CAP, 10),)
    await service.replies.reserved(RecordReservation("evt-1", order_id, priced))
    declined = RecordPayment("evt-2", order_id, PaymentStatus.DECLINED, "PAYMENT_DECLINED")
    await service.payments(declined)
    await service.payments(RecordPayment("evt-3", order_id, PaymentStatus.DECLINED, "X"))
    await service.payments(RecordPayment("evt-4", order_id, PaymentStatus.AUTHORIZED))
    assert service.held("u-1") == 0
    await service.placed("u-1", CAP)


async def test_a_rejection_gives_the_units_back_once(service: Service) -> None:
    order_id = await service.placed("u-1", CAP)
    await service.replies.rejected(RecordRejection("evt-1", order_id, "OUT_OF_STOCK"))
    await service.replies.rejected(RecordRejection("evt-2", order_id, "OUT_OF_STOCK"))
    assert service.held("u-1") == 0
    await service.placed("u-1", CAP)


async def test_cancelling_gives_the_units_back_and_late_replies_take_nothing_more(
    service: Service,
) -> None:
    kept = await service.placed("u-1", 30)
    cancelled = await service.placed("u-1", 70)
    await service.cancel(CancelOrder("u-1", cancelled))
    assert service.held("u-1") == 30
    # The catalog's answers to the cancelled order arrive afterwards: nothing is freed twice.
    late = RecordReservation("evt-1", cancelled, (PricedLine("p-1", 70, 10),))
    await service.replies.reserved(late)
    await service.replies.rejected(RecordRejection("evt-2", cancelled, "OUT_OF_STOCK"))
    assert service.held("u-1") == 30
    await service.cancel(CancelOrder("u-1", kept))
    assert service.held("u-1") == 0


async def test_a_replay_at_the_cap_returns_the_first_order(service: Service) -> None:
    first = await service.placed("u-1", CAP, key="k-1")
    again = await service.place(PlaceOrder("u-1", (("p-1", CAP),), "k-1"))
    assert (again.order.id, again.created) == (first, False)
    assert service.held("u-1") == CAP
