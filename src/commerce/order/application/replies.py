"""Applying one reply of another service to an order: once per event, saved with its effect."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from commerce.kernel.ports import Clock
from commerce.order.application.answer_delay import AnswerDelay
from commerce.order.application.ports import OrderUnitOfWork
from commerce.order.application.saving import save_order
from commerce.order.domain.order import Order, Reply

log = logging.getLogger("commerce.order.saga")
Change = Callable[[Order, datetime], Reply]


class ReplyHandler:
    """The shared step of the catalog's and the payment service's replies."""

    def __init__(
        self,
        uow: Callable[[], OrderUnitOfWork],
        clock: Clock,
        *,
        answer_delay: AnswerDelay | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        # Told how long each answer took, for the re-drive (None: nobody asks).
        self._answer_delay = answer_delay

    async def _apply(self, event_id: str, order_id: str, change: Change) -> Reply | None:
        """``None`` when the event was seen before or names no order of ours."""
        async with self._uow() as uow:
            if not await uow.first_delivery(event_id):
                return None
            order = await uow.orders.get(order_id)
            if order is None:
                log.warning("reply %s for unknown order %s ignored", event_id, order_id)
                await uow.commit()
                return None
            held = order.held_units
            asked_at = order.last_published_at if order.awaiting is not None else None
            now = self._clock()
            reply = change(order, now)
            # A compensation changes the order too (awaiting a release, publish count): it is
            # saved with the version check like any change, or its re-drive is lost.
            if reply is not Reply.IGNORED:
                await save_order(uow, order, held_before=held)
            await uow.commit()
        if reply is not Reply.IGNORED and asked_at is not None:
            self._observe(asked_at, now)
        return reply

    def _observe(self, asked_at: datetime, answered_at: datetime) -> None:
        if self._answer_delay is not None:
            self._answer_delay.observe(asked_at, answered_at)
