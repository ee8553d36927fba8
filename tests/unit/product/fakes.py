"""In-memory stand-ins for the product service's ports, with real transaction semantics.

A :class:`FakeCatalogStore` is the "database". Each unit of work works on a deep copy and
replaces the store's state only on commit, so a use case that fails writes nothing, exactly as
with SQL. Events land in ``store.published`` on commit, like outbox rows.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from commerce.kernel.domain import DomainEvent
from commerce.kernel.repository import TrackingRepository
from commerce.product.application.errors import StockChanged
from commerce.product.application.queries import Position, ProductView
from commerce.product.application.use_cases import ProductUseCases
from commerce.product.bootstrap import build_use_cases
from commerce.product.domain.errors import DuplicateSku
from commerce.product.domain.events import ReservedLine
from commerce.product.domain.product import Product
from commerce.product.domain.reservation import Reservation


@dataclass
class CatalogState:
    products: dict[str, Product] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    inbox: set[str] = field(default_factory=set)


@dataclass
class FakeCatalogStore:
    state: CatalogState = field(default_factory=CatalogState)
    published: list[DomainEvent] = field(default_factory=list)
    commits: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def use_cases(self) -> ProductUseCases:
        return build_use_cases(self.uow, FakeQueries(self))

    def stock(self, product_id: str) -> int:
        return self.state.products[product_id].stock


class FakeProductRepository(TrackingRepository[Product]):
    def __init__(self, state: CatalogState) -> None:
        super().__init__()
        self._state = state

    async def add(self, product: Product) -> None:
        for other in self._state.products.values():
            if product.sku and (other.seller_id, other.sku) == (product.seller_id, product.sku):
                raise DuplicateSku(product.sku)
        self._state.products[product.id] = copy.deepcopy(product)
        self._track(product)

    async def get_for_update(self, product_id: str) -> Product | None:
        return (await self.lock_many([product_id])).get(product_id)

    async def save(self, product: Product, fields: frozenset[str]) -> None:
        stored = self._state.products[product.id]
        for name in (*fields, "updated_at"):
            setattr(stored, name, getattr(product, name))
        self._track(product)

    async def lock_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        found = {
            pid: copy.deepcopy(self._state.products[pid])
            for pid in sorted(set(product_ids))
            if pid in self._state.products
        }
        self._track_all(found.values())
        return found

    async def take_stock(self, lines: Sequence[ReservedLine]) -> None:
        for line in lines:
            stored = self._state.products[line.product_id]
            if stored.stock < line.quantity:
                raise StockChanged(line.product_id)
            stored.stock -= line.quantity

    async def return_stock(self, lines: Sequence[ReservedLine]) -> None:
        for line in lines:
            self._state.products[line.product_id].stock += line.quantity


class FakeReservationRepository(TrackingRepository[Reservation]):
    def __init__(self, state: CatalogState) -> None:
        super().__init__()
        self._state = state

    async def get_for_update(self, order_id: str) -> Reservation | None:
        stored = self._state.reservations.get(order_id)
        if stored is None:
            return None
        reservation = copy.deepcopy(stored)
        self._track(reservation)
        return reservation

    async def add(self, reservation: Reservation) -> None:
        if reservation.order_id in self._state.reservations:
            raise RuntimeError("duplicate reservation (primary key)")
        self._state.reservations[reservation.order_id] = copy.deepcopy(reservation)
        self._track(reservation)

    async def save(self, reservation: Reservation) -> None:
        self._state.reservations[reservation.order_id] = copy.deepcopy(reservation)
        self._track(reservation)


class FakeUnitOfWork:
    products: FakeProductRepository
    reservations: FakeReservationRepository

    def __init__(self, store: FakeCatalogStore) -> None:
        self._store = store
        self._working: CatalogState | None = None

    async def __aenter__(self) -> Self:
        self._working = copy.deepcopy(self._store.state)
        self.products = FakeProductRepository(self._working)
        self.reservations = FakeReservationRepository(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None  # uncommitted work is dropped

    async def first_delivery(self, event_id: str) -> bool:
        assert self._working is not None
        if event_id in self._working.inbox:
            return False
        self._working.inbox.add(event_id)
        return True

    async def commit(self) -> None:
        assert self._working is not None
        for aggregate in (*self.products.seen, *self.reservations.seen):
            self._store.published.extend(aggregate.pull_events())
        # Stored copies must not carry events the live objects already handed over.
        for stored in (*self._working.products.values(), *self._working.reservations.values()):
            stored.pull_events()
        self._store.state = self._working
        self._working = copy.deepcopy(self._working)
        self.products = FakeProductRepository(self._working)
        self.reservations = FakeReservationRepository(self._working)
        self._store.commits += 1


@dataclass
class FakeQueries:
    store: FakeCatalogStore

    def _views(self) -> list[ProductView]:
        return [
            ProductView(
                p.id,
                p.seller_id,
                p.name,
                p.description,
                p.price,
                p.stock,
                p.sku,
                p.created_at,
                p.updated_at,
            )
            for p in self.store.state.products.values()
        ]

    async def get(self, product_id: str) -> ProductView | None:
        return next((v for v in self._views() if v.id == product_id), None)

    async def page(
        self, *, limit: int, after: Position | None, q: str | None, seller_id: str | None = None
    ) -> list[ProductView]:
        views = sorted(self._views(), key=lambda v: (v.created_at, v.id), reverse=True)
        if after:
            views = [v for v in views if (v.created_at, v.id) < (after.created_at, after.id)]
        if q:
            views = [v for v in views if q.casefold() in v.name.casefold()]
        if seller_id is not None:
            views = [v for v in views if v.seller_id == seller_id]
        return views[:limit]
