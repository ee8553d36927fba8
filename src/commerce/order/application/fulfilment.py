"""Use cases of fulfilment, for STAFF: ship a CONFIRMED order, then record its delivery.

Shipping gives the order's units back to its owner's cap (ADR 0063: a shipped order holds
nothing), through ``save_order`` like every change; its OrderShipped makes the payment
service capture.
"""

from __future__ import annotations

from collections.abc import Callable

from commerce.kernel.ports import Clock
from commerce.order.application.commands import DeliverOrder, ShipOrder
from commerce.order.application.errors import NotStaff, OrderNotFound
from commerce.order.application.ports import OrderUnitOfWork
from commerce.order.application.retry import retry_if_stale
from commerce.order.application.saving import save_order
from commerce.order.application.views import OrderView
from commerce.order.domain.order import Order


class FulfilmentHandler:
    def __init__(self, uow: Callable[[], OrderUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def ship(self, command: ShipOrder) -> OrderView:
        return await self._change(
            command.order_id,
            command.staff,
            lambda order: order.ship(command.carrier, command.tracking_number, self._clock()),
        )

    async def deliver(self, command: DeliverOrder) -> OrderView:
        return await self._change(
            command.order_id, command.staff, lambda order: order.deliver(self._clock())
        )

    async def _change(
        self, order_id: str, staff: bool, change: Callable[[Order], None]
    ) -> OrderView:
        if not staff:  # before any look-up: a customer learns nothing about other orders
            raise NotStaff()

        async def attempt() -> OrderView:
            async with self._uow() as uow:
                order = await uow.orders.get(order_id)
                if order is None:
                    raise OrderNotFound()
                held = order.held_units
                change(order)
                await save_order(uow, order, held_before=held)
                await uow.commit()
                return OrderView.of(order)

        return await retry_if_stale(attempt)
