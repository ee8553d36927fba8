"""Hand-written fakes of the cart's ports: in-memory stores and peers that record calls."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from commerce.cart.application.ports import (
    CartChangedMeanwhile,
    CatalogUnavailable,
    OrderRequest,
    PlacedOrder,
)
from commerce.cart.domain.cart import Cart, Checkout
from commerce.cart.domain.catalog import CatalogEntry

_ids = itertools.count(1)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class FakeCartStore:
    carts: dict[str, Cart] = field(default_factory=dict)
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    settled: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)

    async def load(self, user_id: str) -> Cart:
        stored = self.carts.get(user_id)
        if stored is None:
            return Cart(user_id=user_id, id=f"cart-{next(_ids)}")
        return copy.deepcopy(stored)

    async def save(self, cart: Cart) -> None:
        stored = self.carts.get(cart.user_id)
        stored_at = (stored.id, stored.revision) if stored else None
        expected = (cart.id, cart.base_revision) if cart.base_revision else None
        if stored_at != expected:
            raise CartChangedMeanwhile()
        cart.mark_saved()
        self.carts[cart.user_id] = copy.deepcopy(cart)

    async def delete(self, user_id: str) -> None:
        self.carts.pop(user_id, None)

    async def record_checkout(self, checkout: Checkout) -> None:
        self.checkouts.setdefault(checkout.order_id, checkout)

    async def open_checkout(self, order_id: str) -> Checkout | None:
        if order_id in self.settled:
            return None
        return self.checkouts.get(order_id)

    async def note_confirmed(self, order_id: str) -> None:
        self.confirmed.add(order_id)

    async def was_confirmed(self, order_id: str) -> bool:
        return order_id in self.confirmed

    async def settle(self, checkout: Checkout, cart: Cart) -> bool:
        if checkout.order_id in self.settled:
            return False
        if cart.changed:
            await self.save(cart)
        self.settled.add(checkout.order_id)
        return True


@dataclass
class FakeCatalogView:
    entries_by_id: dict[str, CatalogEntry] = field(default_factory=dict)

    async def entries(self, product_ids: Iterable[str]) -> dict[str, CatalogEntry]:
        return {p: self.entries_by_id[p] for p in product_ids if p in self.entries_by_id}

    async def seed(self, entry: CatalogEntry) -> None:
        self.entries_by_id.setdefault(entry.product_id, entry)


@dataclass
class FakeProductCatalog:
    """The product service: ``products`` it has; ``down`` makes every call fail."""

    products: dict[str, CatalogEntry] = field(default_factory=dict)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    async def product(self, product_id: str) -> CatalogEntry | None:
        self.asked.append(product_id)
        if self.down:
            raise CatalogUnavailable()
        return self.products.get(product_id)


@dataclass
class FakeOrderPlacer:
    """The order service: one order per key (a replay is a 200 with the order as it is)."""

    orders: dict[str, dict[str, object]] = field(default_factory=dict)
    requests: list[OrderRequest] = field(default_factory=list)
    status_of_new: str = "PENDING"

    async def place(self, request: OrderRequest) -> PlacedOrder:
        self.requests.append(request)
        if request.idempotency_key in self.orders:
            return PlacedOrder(200, self.orders[request.idempotency_key], None)
        order_id = f"order-{len(self.orders) + 1}"
        body: dict[str, object] = {
            "id": order_id,
            "status": self.status_of_new,
            "items": [
                {"product_id": line.product_id, "quantity": line.quantity} for line in request.lines
            ],
        }
        self.orders[request.idempotency_key] = body
        return PlacedOrder(202, body, f"/v1/orders/{order_id}")

    def set_status(self, order_id: str, status: str) -> None:
        for body in self.orders.values():
            if body["id"] == order_id:
                body["status"] = status
