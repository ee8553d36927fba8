"""Use cases of the ordering saga: reserve stock for a placed order, release it on cancel.

Both are idempotent twice over: per event (the inbox) and per order (the recorded
reservation), because the order service re-drives stuck orders with new event ids.
"""

from __future__ import annotations

from collections.abc import Callable

from commerce.kernel.domain import InvalidInput
from commerce.kernel.ports import Clock
from commerce.product.application.commands import ReleaseStock, ReserveStock
from commerce.product.application.ports import ProductUnitOfWork
from commerce.product.domain.allocation import allocate, invalid_order, wanted_quantities
from commerce.product.domain.reservation import Reservation


class ReserveStockHandler:
    """Hold every line of the order or none; answer StockReserved or StockRejected.

    An order without usable lines (none, a quantity below 1) is answered too, rejected as
    ``INVALID_ORDER``: otherwise the order would wait for an answer forever.
    """

    def __init__(self, uow: Callable[[], ProductUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: ReserveStock) -> None:
        try:
            wanted: dict[str, int] | None = wanted_quantities(command.lines)
        except InvalidInput:
            wanted = None
        async with self._uow() as uow:
            if not await uow.first_delivery(command.event_id):
                return
            reservation = await uow.reservations.get_for_update(command.order_id)
            if reservation is not None:
                # Seen this order before (a re-drive, or cancelled first): same answer, no new
                # hold.
                reservation.announce(self._clock())
            elif wanted is None:
                await uow.reservations.add(invalid_order(command.order_id, self._clock()))
            else:
                products = await uow.products.lock_many(wanted)
                reservation = allocate(command.order_id, wanted, products, self._clock())
                if reservation.holds_stock:
                    await uow.products.take_stock(reservation.lines)
                await uow.reservations.add(reservation)
            await uow.commit()


class ReleaseStockHandler:
    """Give back what the order held, exactly once; answer StockReleased."""

    def __init__(self, uow: Callable[[], ProductUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: ReleaseStock) -> None:
        async with self._uow() as uow:
            if not await uow.first_delivery(command.event_id):
                return
            reservation = await uow.reservations.get_for_update(command.order_id)
            if reservation is None:
                await uow.reservations.add(
                    Reservation.tombstone(command.order_id, now=self._clock())
                )
            else:
                lines = reservation.release(self._clock())
                if lines:
                    await uow.products.return_stock(lines)
                await uow.reservations.save(reservation)
            await uow.commit()
