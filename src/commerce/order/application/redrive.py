"""Use case: ask again for what orders awaited too long, and stop waiting for payments.

A PENDING order repeats OrderPlaced or, once reserved, PaymentRequested (same payload); a
cancelled or rejected one repeats OrderCancelled or OrderRejected until StockReleased came.
The first request, or its reply, may be gone (the embedded broker keeps nothing across a
restart). The catalog and the payment service handle a repeated request per order
idempotently (no second reservation, no second charge), so asking again is always safe; the
schedule bounds how often, backing off while nobody answers, and waits longer while answers
come late (:mod:`.answer_delay`). An order whose payment got no answer by the schedule's
deadline is rejected ``PAYMENT_UNAVAILABLE`` and its stock released.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from commerce.kernel.ports import Clock
from commerce.order.application.answer_delay import AnswerDelay
from commerce.order.application.ports import OrderUnitOfWork, RedrivePolicy, StaleOrder
from commerce.order.application.saving import save_order


class RedrivePendingOrders:
    def __init__(
        self,
        uow: Callable[[], OrderUnitOfWork],
        clock: Clock,
        policy: RedrivePolicy,
        *,
        answer_delay: AnswerDelay | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._answer_delay = answer_delay

    async def __call__(self) -> int:
        """Re-publish the request of each due order (or reject it, past the payment deadline);
        returns how many were re-driven."""
        policy = self._policy
        now = self._clock()
        backlog = self._backlog(now)
        async with self._uow() as uow:
            due = await uow.orders.due_for_redrive(
                now, schedule=policy.schedule, limit=policy.batch_size, backlog=backlog
            )
        redriven = 0
        for order_id in due:
            # One transaction per order: a reply that lands meanwhile wins, and we skip it.
            try:
                redriven += await self._redrive(order_id)
            except StaleOrder:
                continue
        return redriven

    def _backlog(self, now: datetime) -> timedelta:
        return self._answer_delay.current(now) if self._answer_delay is not None else timedelta(0)

    async def _redrive(self, order_id: str) -> int:
        now = self._clock()
        backlog = self._backlog(now)
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
            schedule = self._policy.schedule
            if order is None or not order.is_due_for_redrive(now, schedule, backlog=backlog):
                return 0
            held = order.held_units
            order.redrive(now, self._policy.schedule)
            await save_order(uow, order, held_before=held)
            await uow.commit()
            return 1
