"""The order-events handler with the in-memory catalog: which messages are answered, which
are dead-lettered."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.ordering import OrderLine, OrderPlaced, OrderRejected
from commerce.kernel.messaging.processing import is_permanent
from commerce.product.adapters.inbound.events import OrderEventsHandler
from commerce.product.application.commands import CreateProduct
from commerce.product.domain.events import (
    RejectionReason,
    StockRejected,
    StockReleased,
    StockReserved,
)
from commerce.product.domain.reservation import ReservationStatus
from tests.unit.product.fakes import FakeCatalogStore


@pytest.fixture
def store() -> FakeCatalogStore:
    return FakeCatalogStore()


@pytest.fixture
def handle(store: FakeCatalogStore) -> OrderEventsHandler:
    return OrderEventsHandler(store.use_cases())


def order_placed(data: dict[str, Any], event_id: str = "e-1") -> EventEnvelope:
    """An envelope that parses, whatever its ``data`` holds."""
    return EventEnvelope.model_validate(
        {
            "id": event_id,
            "type": OrderPlaced.event_type,
            "occurred_at": "2026-01-01T00:00:00Z",
            "source": "order",
            "data": data,
        }
    )


async def test_a_valid_order_is_reserved(
    store: FakeCatalogStore, handle: OrderEventsHandler
) -> None:
    product = await store.use_cases().create(CreateProduct("seller", "Tea", 100, 3))
    payload = OrderPlaced(
        order_id="o-1", user_id="u", items=[OrderLine(product_id=product.id, quantity=2)]
    )
    await handle(EventEnvelope.wrap(payload, "order"))
    assert isinstance(store.published[-1], StockReserved)
    assert store.stock(product.id) == 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"order_id": "o-1", "user_id": "u", "items": []}, id="no-lines"),
        pytest.param({"order_id": "o-1", "user_id": "u"}, id="lines-missing"),
        pytest.param(
            {"order_id": "o-1", "user_id": "u", "items": [{"product_id": "p", "quantity": 0}]},
            id="zero-quantity",
        ),
        pytest.param(
            {"order_id": "o-1", "items": [{"product_id": "p", "quantity": "many"}]},
            id="bad-quantity-no-user",
        ),
        pytest.param({"order_id": "o-1", "user_id": "u", "items": "p x 2"}, id="lines-not-a-list"),
    ],
)
async def test_an_unusable_order_is_answered_with_a_rejection_not_dead_lettered(
    store: FakeCatalogStore, handle: OrderEventsHandler, data: dict[str, Any]
) -> None:
    await handle(order_placed(data))
    [event] = store.published
    assert isinstance(event, StockRejected)
    assert (event.order_id, event.reason, event.product_ids) == (
        "o-1",
        RejectionReason.INVALID_ORDER,
        (),
    )
    assert store.state.reservations["o-1"].status is ReservationStatus.REJECTED
    # Redelivered: answered once only (inbox).
    await handle(order_placed(data))
    assert len(store.published) == 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"user_id": "u", "items": []}, id="no-order-id"),
        pytest.param({"order_id": "", "items": []}, id="empty-order-id"),
        pytest.param({"order_id": 42, "items": []}, id="order-id-not-a-string"),
        pytest.param({"order_id": "o" * 65, "items": []}, id="order-id-too-long"),
    ],
)
async def test_an_order_event_naming_no_order_is_dead_lettered(
    store: FakeCatalogStore, handle: OrderEventsHandler, data: dict[str, Any]
) -> None:
    # Nobody to answer: the consumer parks it at once (no retry can help).
    with pytest.raises(ValidationError) as caught:
        await handle(order_placed(data))
    assert is_permanent(caught.value)
    assert store.published == [] and store.state.inbox == set()


async def test_an_order_rejected_after_its_reservation_releases_it_once(
    store: FakeCatalogStore, handle: OrderEventsHandler
) -> None:
    """A declined payment (or one that never came) rejects a reserved order: the stock goes back,
    once, and the catalog answers StockReleased each time (the order awaits it)."""
    product = await store.use_cases().create(CreateProduct("seller", "Tea", 100, 3))
    placed = OrderPlaced(
        order_id="o-1", user_id="u", items=[OrderLine(product_id=product.id, quantity=2)]
    )
    await handle(EventEnvelope.wrap(placed, "order"))
    assert store.stock(product.id) == 1
    rejected = OrderRejected(order_id="o-1", reason="PAYMENT_DECLINED")
    await handle(EventEnvelope.wrap(rejected, "order"))
    assert store.stock(product.id) == 3
    assert isinstance(store.published[-1], StockReleased)
    assert store.state.reservations["o-1"].status is ReservationStatus.RELEASED
    # Re-driven with a new event id: answered again, nothing given back twice.
    await handle(EventEnvelope.wrap(rejected, "order"))
    assert store.stock(product.id) == 3
    assert [type(e) for e in store.published][-3:] == [StockReserved, StockReleased, StockReleased]


async def test_an_order_rejected_with_nothing_reserved_releases_nothing(
    store: FakeCatalogStore, handle: OrderEventsHandler
) -> None:
    product = await store.use_cases().create(CreateProduct("seller", "Tea", 100, 1))
    placed = OrderPlaced(
        order_id="o-1", user_id="u", items=[OrderLine(product_id=product.id, quantity=2)]
    )
    await handle(EventEnvelope.wrap(placed, "order"))
    assert isinstance(store.published[-1], StockRejected)
    await handle(EventEnvelope.wrap(OrderRejected(order_id="o-1", reason="OUT_OF_STOCK"), "order"))
    assert store.stock(product.id) == 1
    assert store.state.reservations["o-1"].status is ReservationStatus.REJECTED
    # Unknown order: a tombstone, so a late OrderPlaced reserves nothing for a rejected order.
    await handle(EventEnvelope.wrap(OrderRejected(order_id="o-2", reason="X"), "order"))
    late = OrderPlaced(
        order_id="o-2", user_id="u", items=[OrderLine(product_id=product.id, quantity=1)]
    )
    await handle(EventEnvelope.wrap(late, "order"))
    assert store.stock(product.id) == 1
    assert not any(isinstance(e, StockReserved) for e in store.published)
