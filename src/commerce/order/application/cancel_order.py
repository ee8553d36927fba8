"""Use case: the owner cancels an order; the catalog is told to release any reservation."""

from __future__ import annotations

from collections.abc import Callable

from commerce.kernel.ports import Clock
from commerce.order.application.commands import CancelOrder
from commerce.order.application.errors import OrderNotFound
from commerce.order.application.ports import OrderUnitOfWork
from commerce.order.application.retry import retry_if_stale
from commerce.order.application.saving import save_order
from commerce.order.application.views import OrderView


class CancelOrderHandler:
    def __init__(self, uow: Callable[[], OrderUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: CancelOrder) -> OrderView:
        async def attempt() -> OrderView:
            async with self._uow() as uow:
                order = await uow.orders.get(command.order_id)
                if order is None or order.user_id != command.user_id:
                    raise OrderNotFound()
                held = order.held_units
                order.cancel(self._clock())
                await save_order(uow, order, held_before=held)
                await uow.commit()
                return OrderView.of(order)

        return await retry_if_stale(attempt)
