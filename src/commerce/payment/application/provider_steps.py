"""Use case: make the provider calls payments owe (authorize, capture, void, refund).

A step is claimed first (``begin_attempt``, saved with the version check: one caller per step,
even across processes, and a caller that dies is replaced once its lease ends), then the
provider is called outside any transaction, bounded by the policy's time-out, then its answer
is applied in a new transaction with the event it raises. The call carries the order's key
for that operation, so repeating it (a retry, a replaced caller) never charges twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.ports import Clock
from commerce.payment.application.ports import (
    Charge,
    PaymentProvider,
    PaymentUnitOfWork,
    ProviderAnswer,
    ProviderUnavailable,
    StalePayment,
    StepPolicy,
    idempotency_key,
)
from commerce.payment.domain.payment import Payment, PaymentStatus, Step

log = logging.getLogger("commerce.payment.provider")
# How often applying an answer is tried again when the payment changed meanwhile.
APPLY_ATTEMPTS = 5


class ProviderSteps:
    def __init__(
        self,
        uow: Callable[[], PaymentUnitOfWork],
        clock: Clock,
        provider: PaymentProvider,
        policy: StepPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._policy = policy

    async def due(self, limit: int) -> Sequence[str]:
        """Payments whose owed step is due now."""
        async with self._uow() as uow:
            return await uow.payments.due(self._clock(), limit)

    async def run(self, payment_id: str) -> PaymentStatus | None:
        """Try the payment's owed step once; the status after it (``None``: nothing was due)."""
        claimed = await self._claim(payment_id)
        if claimed is None:
            return None
        payment, step = claimed
        if step is None:
            return payment.status  # decided without a call (past its deadline)
        answer: ProviderAnswer | None = None
        try:
            answer = await asyncio.wait_for(self._call(payment, step), self._timeout(payment, step))
        except (ProviderUnavailable, TimeoutError) as error:
            log.info("%s of order %s: no answer (%s)", step, payment.order_id, type(error).__name__)
        return await self._apply(payment_id, step, answer)

    async def _claim(self, payment_id: str) -> tuple[Payment, Step | None] | None:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
            now = self._clock()
            if payment is None or payment.next_step is None:
                return None
            if payment.next_attempt_at is not None and payment.next_attempt_at > now:
                return None  # another caller holds it, or its retry is not due yet
            step = payment.next_step
            if step is Step.AUTHORIZE and payment.deadline and now >= payment.deadline:
                payment.step_failed(step, now, timedelta(0))  # past the deadline: declined
                step_to_call = None
            else:
                step_to_call = payment.begin_attempt(now, self._policy.lease)
            try:
                await uow.payments.save(payment)
            except StalePayment:
                return None  # someone else claimed or changed it: theirs
            await uow.commit()
        return payment, step_to_call

    def _timeout(self, payment: Payment, step: Step) -> float:
        timeout = self._policy.call_timeout
        if step is Step.AUTHORIZE and payment.deadline is not None:
            timeout = min(timeout, payment.deadline - self._clock())
        return max(timeout.total_seconds(), 0.001)

    async def _call(self, payment: Payment, step: Step) -> ProviderAnswer:
        key = idempotency_key(payment.order_id, step)
        reference = payment.provider_reference or ""
        match step:
            case Step.AUTHORIZE:
                charge = Charge(
                    payment.order_id, payment.user_id, payment.amount, payment.method, payment.token
                )
                return await self._provider.authorize(charge, idempotency_key=key)
            case Step.CAPTURE:
                return await self._provider.capture(reference, payment.amount, idempotency_key=key)
            case Step.VOID:
                return await self._provider.void(reference, idempotency_key=key)
            case Step.REFUND:
                return await self._provider.refund(reference, payment.amount, idempotency_key=key)

    async def _apply(
        self, payment_id: str, step: Step, answer: ProviderAnswer | None
    ) -> PaymentStatus | None:
        for _ in range(APPLY_ATTEMPTS):
            async with self._uow() as uow:
                payment = await uow.payments.get(payment_id)
                if payment is None or payment.next_step is not step:
                    return None if payment is None else payment.status  # decided meanwhile
                now = self._clock()
                if answer is None:
                    wait = backoff_seconds(
                        payment.attempts,
                        base=self._policy.backoff_base.total_seconds(),
                        cap=self._policy.backoff_cap.total_seconds(),
                    )
                    payment.step_failed(step, now, timedelta(seconds=wait))
                elif answer.approved:
                    payment.step_succeeded(step, answer.reference, now)
                else:
                    if step is not Step.AUTHORIZE:
                        log.error("provider refused to %s order %s", step, payment.order_id)
                    payment.step_refused(step, now)
                try:
                    await uow.payments.save(payment)
                except StalePayment:
                    continue  # an order event changed it meanwhile (e.g. withdrawn): again
                await uow.commit()
                return payment.status
        raise StalePayment(payment_id)
