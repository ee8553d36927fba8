"""Use cases: what the order's events ask (authorize, capture, let go).

Each event is applied at most once (inbox, same transaction as its effect). None of them calls
the provider: they record the step the payment owes, and the provider steps
(:mod:`commerce.payment.application.provider_steps`) make the call, so a slow provider never
holds up the consumer. A change that loses a race with the worker (``StalePayment``)
propagates: the consumer's processor delivers the event again in a fresh transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from commerce.kernel.ports import Clock, IdFactory
from commerce.payment.application.commands import CapturePayment, RequestPayment, WithdrawPayment
from commerce.payment.application.ports import PaymentUnitOfWork, StepPolicy
from commerce.payment.domain.payment import IllegalPaymentTransition, Payment

log = logging.getLogger("commerce.payment.requests")


class _OrderRequest:
    def __init__(self, uow: Callable[[], PaymentUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock


class RequestPaymentHandler(_OrderRequest):
    """``PaymentRequested``: a new PENDING payment owing its authorization; a repeated request
    (the order's re-drive) raises the current outcome again and never authorizes twice."""

    def __init__(
        self,
        uow: Callable[[], PaymentUnitOfWork],
        clock: Clock,
        new_id: IdFactory,
        policy: StepPolicy,
    ) -> None:
        super().__init__(uow, clock)
        self._new_id = new_id
        self._policy = policy

    async def __call__(self, command: RequestPayment) -> Payment | None:
        """The payment, or ``None`` if this event was applied before."""
        async with self._uow() as uow:
            if not await uow.first_delivery(command.event_id):
                return None
            now = self._clock()
            payment, withdrawn = await uow.payments.for_order_or_withdrawal(command.order_id)
            if payment is not None:
                if payment.repeat_outcome(now):
                    await uow.payments.save(payment)
            else:
                payment = Payment.request(
                    payment_id=self._new_id(),
                    order_id=command.order_id,
                    user_id=command.user_id,
                    amount=command.amount,
                    method=command.method,
                    token=command.token,
                    now=now,
                    deadline=now + self._policy.authorize_deadline,
                    withdrawn=withdrawn,
                )
                await uow.payments.add(payment)
            await uow.commit()
        return payment


class _ChangePayment(_OrderRequest):
    async def _apply(
        self, event_id: str, order_id: str, change: Callable[[Payment, datetime], bool]
    ) -> bool:
        """Whether the payment changed."""
        async with self._uow() as uow:
            if not await uow.first_delivery(event_id):
                return False
            payment = await uow.payments.for_order(order_id)
            changed = False
            if payment is None:
                changed = await self._without_payment(uow, order_id)
            else:
                try:
                    changed = change(payment, self._clock())
                except IllegalPaymentTransition as refused:
                    # The order's life cycle never asks this; redelivering cannot change it.
                    log.warning("order %s: %s; ignored", order_id, refused.message)
                if changed:
                    await uow.payments.save(payment)
            await uow.commit()
        return changed

    async def _without_payment(self, uow: PaymentUnitOfWork, order_id: str) -> bool:
        log.warning("order %s has no payment; event ignored", order_id)
        return False


class CapturePaymentHandler(_ChangePayment):
    """``OrderShipped``: the authorized payment owes its capture."""

    async def __call__(self, command: CapturePayment) -> bool:
        return await self._apply(command.event_id, command.order_id, Payment.ship)


class WithdrawPaymentHandler(_ChangePayment):
    """``OrderCancelled`` and ``OrderRejected``: void what is authorized, refund what is
    captured; a PENDING payment is declined, or voided right after its authorization; an order
    with no payment yet is remembered, so that its request, if it comes, is declined."""

    async def __call__(self, command: WithdrawPayment) -> bool:
        return await self._apply(command.event_id, command.order_id, Payment.withdraw)

    async def _without_payment(self, uow: PaymentUnitOfWork, order_id: str) -> bool:
        await uow.payments.remember_withdrawal(order_id, self._clock())
        return False
