"""What the use cases need from the outside world, named by role."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from commerce.kernel.ports import InboxUnitOfWork
from commerce.product.domain.events import ReservedLine
from commerce.product.domain.product import Product
from commerce.product.domain.reservation import Reservation


class ProductRepository(Protocol):
    """Products, for changing them; reads for clients go through ProductQueries."""

    async def add(self, product: Product) -> None:
        """Store a new product; raises DuplicateSku when the seller already uses its sku."""

    async def get_for_update(self, product_id: str) -> Product | None:
        """The product, locked until the unit of work ends (None if unknown)."""

    async def save(self, product: Product, fields: frozenset[str]) -> None:
        """Write only ``fields`` of an edited product (never a stale ``stock`` over a fresh one)."""

    async def lock_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The known ones among ``product_ids``, locked in id order (no deadlock between orders)."""

    async def take_stock(self, lines: Sequence[ReservedLine]) -> None:
        """Subtract each line's quantity, never below zero.

        Raises StockChanged when the database refuses one line; the whole unit of work must
        then be rolled back (and the message retried).
        """

    async def return_stock(self, lines: Sequence[ReservedLine]) -> None:
        """Add each line's quantity back to its product."""


class ReservationRepository(Protocol):
    """The catalog's answer per order."""

    async def get_for_update(self, order_id: str) -> Reservation | None:
        """The order's reservation, locked until the unit of work ends."""

    async def add(self, reservation: Reservation) -> None:
        """Store the first answer for an order (one per order; a second one is refused)."""

    async def save(self, reservation: Reservation) -> None:
        """Write a changed status."""


class ProductUnitOfWork(InboxUnitOfWork, Protocol):
    """One transaction: repositories, the inbox, and the outbox written on commit."""

    # Read-only properties: a protocol's attribute is invariant (see order's ports).
    @property
    def products(self) -> ProductRepository: ...

    @property
    def reservations(self) -> ReservationRepository: ...
