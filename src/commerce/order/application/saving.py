"""Writing a changed order back, with the units it stopped holding given back (ADR 0063)."""

from __future__ import annotations

from commerce.order.application.ports import OrderUnitOfWork
from commerce.order.domain.order import Order


async def save_order(uow: OrderUnitOfWork, order: Order, *, held_before: int) -> None:
    """Every use case that changes a loaded order saves it here, so no path that rejects or
    cancels an order can forget its owner's held units: they go back in the same transaction.

    ``held_before`` is ``order.held_units`` as loaded, before the change.
    """
    await uow.orders.save(order)
    released = held_before - order.held_units
    if released > 0:
        await uow.held_units.release(order.user_id, released)
