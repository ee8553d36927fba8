"""Use cases: apply the catalog's replies (StockReserved, StockRejected, StockReleased).

Each reply is applied at most once (inbox, same transaction as the effect); replies the order
no longer needs leave it unchanged (see the aggregate). A reply that loses a race with a
concurrent change (``StaleOrder``) is not retried here: it propagates, and the consumer's
processor, the one place that retries, delivers it again in a fresh transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from commerce.order.application.commands import (
    RecordRejection,
    RecordRelease,
    RecordReservation,
)
from commerce.order.application.ports import Clock, OrderUnitOfWork
from commerce.order.application.saving import save_order
from commerce.order.domain.order import Order, Reply

log = logging.getLogger("commerce.order.saga")
Change = Callable[[Order, datetime], Reply]


class CatalogReplyHandler:
    def __init__(self, uow: Callable[[], OrderUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def reserved(self, command: RecordReservation) -> Reply | None:
        return await self._apply(
            command.event_id, command.order_id, lambda order, now: order.confirm(command.lines, now)
        )

    async def rejected(self, command: RecordRejection) -> Reply | None:
        return await self._apply(
            command.event_id, command.order_id, lambda order, now: order.reject(command.reason, now)
        )

    async def released(self, command: RecordRelease) -> Reply | None:
        return await self._apply(
            command.event_id, command.order_id, lambda order, _now: order.release_confirmed()
        )

    async def _apply(self, event_id: str, order_id: str, change: Change) -> Reply | None:
        """``None`` when the event was seen before or names no order of ours."""

        async def attempt() -> Reply | None:
            async with self._uow() as uow:
                if not await uow.first_delivery(event_id):
                    return None
                order = await uow.orders.get(order_id)
                if order is None:
                    log.warning("catalog reply %s for unknown order %s ignored", event_id, order_id)
                    await uow.commit()
                    return None
                held = order.held_units
                reply = change(order, self._clock())
                # A compensation changes the order too (awaiting a release, publish count): it
                # is saved with the version check like any change, or its re-drive is lost.
                if reply is not Reply.IGNORED:
                    await save_order(uow, order, held_before=held)
                await uow.commit()
                return reply

        return await attempt()
