"""The catalog view kept current from ``commerce.catalog.events``, each event applied once
(the inbox, in the same transaction as the change)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from commerce.cart.application.ports import CatalogViewUnitOfWork
from commerce.cart.domain.catalog import CatalogEntry, reservation_per_product


class UpdateCatalogView:
    def __init__(self, new_uow: Callable[[], CatalogViewUnitOfWork]) -> None:
        self._new_uow = new_uow

    async def product_changed(self, event_id: str, entry: CatalogEntry) -> None:
        """ProductCreated or ProductUpdated: the catalog's absolute values."""
        async with self._new_uow() as uow:
            if await uow.first_delivery(event_id):
                await uow.view.put(entry)
                await uow.commit()

    async def reserved(
        self, event_id: str, order_id: str, lines: Iterable[tuple[str, int]]
    ) -> None:
        """StockReserved: the order's units are no longer available to others."""
        async with self._new_uow() as uow:
            if await uow.first_delivery(event_id):
                await uow.view.reserve(order_id, reservation_per_product(lines))
                await uow.commit()

    async def released(self, event_id: str, order_id: str) -> None:
        """StockReleased: what the order held is available again."""
        async with self._new_uow() as uow:
            if await uow.first_delivery(event_id):
                await uow.view.release(order_id)
                await uow.commit()
