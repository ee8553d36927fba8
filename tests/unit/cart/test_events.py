"""The consumer's dispatch: which events change the view or the cart, and which change nothing."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import pytest

from commerce.cart.adapters.inbound.events import CartEventsHandler
from commerce.cart.application.checkout import CheckOutCommand
from commerce.cart.application.use_cases import CartUseCases
from commerce.cart.bootstrap import build_use_cases
from commerce.cart.domain.catalog import CatalogEntry
from commerce.contracts.catalog import (
    PricedLine,
    ProductUpdated,
    StockRejected,
    StockReleased,
    StockReserved,
)
from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.contracts.ordering import OrderCancelled, OrderConfirmed, OrderRejected
from tests.unit.cart.fakes import (
    FakeCartStore,
    FakeCatalogView,
    FakeClock,
    FakeOrderPlacer,
    FakeProductCatalog,
)


class RecordingViewUnitOfWork:
    """Records what the view was told, with an inbox."""

    def __init__(self, calls: list[tuple[object, ...]], inbox: set[str]) -> None:
        self.calls, self.inbox, self.view = calls, inbox, self

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def first_delivery(self, event_id: str) -> bool:
        new = event_id not in self.inbox
        self.inbox.add(event_id)
        return new

    async def commit(self) -> None:
        self.calls.append(("commit",))

    async def put(self, entry: CatalogEntry) -> None:
        self.calls.append(("put", entry))

    async def reserve(self, order_id: str, units: Mapping[str, int]) -> None:
        self.calls.append(("reserve", order_id, dict(units)))

    async def release(self, order_id: str) -> None:
        self.calls.append(("release", order_id))


class Harness:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        inbox: set[str] = set()
        self.store = FakeCartStore()
        view = FakeCatalogView({"pen": CatalogEntry("pen", "Pen", 100, 9)})
        self.use_cases: CartUseCases = build_use_cases(
            self.store,
            view,
            FakeOrderPlacer(),
            FakeProductCatalog(),
            lambda: RecordingViewUnitOfWork(self.calls, inbox),  # type: ignore[arg-type, return-value]
            FakeClock(),
        )
        self.handler = CartEventsHandler(self.use_cases)

    async def send(self, payload: EventPayload, event_id: str | None = None) -> None:
        envelope = EventEnvelope.wrap(payload, "test")
        if event_id is not None:
            envelope = envelope.model_copy(update={"id": event_id})
        await self.handler(envelope)

    async def lines(self) -> list[str]:
        return [item.product_id for item in (await self.use_cases.read("u")).items]


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_catalog_events_reach_the_view_once(harness: Harness) -> None:
    updated = ProductUpdated(product_id="pen", name="Pen", price=120, stock=4)
    await harness.send(updated, "e1")
    await harness.send(updated, "e1")
    line = PricedLine(product_id="pen", quantity=2, unit_price=120)
    await harness.send(StockReserved(order_id="o1", items=[line, line]), "e2")
    await harness.send(StockReleased(order_id="o1"), "e3")
    await harness.send(StockRejected(order_id="o2", reason="OUT_OF_STOCK"), "e4")
    assert harness.calls == [
        ("put", CatalogEntry("pen", "Pen", 120, 4)),
        ("commit",),
        ("reserve", "o1", {"pen": 4}),
        ("commit",),
        ("release", "o1"),
        ("commit",),
    ]


async def test_only_a_confirmation_drops_the_ordered_lines(harness: Harness) -> None:
    await harness.use_cases.set_quantity("u", "pen", 2)
    placed = await harness.use_cases.check_out(CheckOutCommand("u", "proof", None, None))
    await harness.send(OrderRejected(order_id=placed.order_id, reason="OUT_OF_STOCK"))
    await harness.send(OrderCancelled(order_id=placed.order_id))
    assert await harness.lines() == ["pen"]
    await harness.send(OrderConfirmed(order_id=placed.order_id, total=200))
    assert await harness.lines() == []
