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

from commerce.kernel.domain import AggregateRoot, DomainEvent
from commerce.product.application.errors import StockChanged
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

    def stock(self, product_id: str) -> int:
        return self.state.products[product_id].stock


class FakeProductRepository:
    def __init__(self, state: CatalogState) -> None:
        self._state = state
        self.seen: list[AggregateRoot] = []

    async def add(self, product: Product) -> None:
        for other in self._state.products.values():
            if product.sku and (other.seller_id, other.sku) == (product.seller_id, product.sku):
                raise DuplicateSku(product.sku)
        self._state.products[product.id] = copy.deepcopy(product)
        self.seen.append(product)

    async def get_for_update(self, product_id: str) -> Product | None:
        return (await self.lock_many([product_id])).get(product_id)

    async def save(self, product: Product, fields: frozenset[str]) -> None:
        stored = self._state.products[product.id]
        for name in (*fields, "updated_at"):
            setattr(stored, name, getattr(product, name))
        self.seen.append(product)

    async def lock_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        found = {
            pid: copy.deepcopy(self._state.products[pid])
            for pid in sorted(set(product_ids))
            if pid in self._state.products
        }
        self.seen.extend(found.values())
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


class FakeReservationRepository:
    def __init__(self, state: CatalogState) -> None:
        self._state = state
        self.seen: list[AggregateRoot] = []

    async def get_for_update(self, order_id: str) -> Reservation | None:
        stored = self._state.reservations.get(order_id)
        if stored is None:
            return None
        reservation = copy.deepcopy(stored)
        self.seen.append(reservation)
        return reservation

    async def add(self, reservation: Reservation) -> None:
        if reservation.order_id in self._state.reservations:
            raise RuntimeError("duplicate reservation (primary key)")
        self._state.reservations[reservation.order_id] = copy.deepcopy(reservation)
        self.seen.append(reservation)

    async def save(self, reservation: Reservation) -> None:
        self._state.reservations[reservation.order_id] = copy.deepcopy(reservation)
        self.seen.append(reservation)


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
