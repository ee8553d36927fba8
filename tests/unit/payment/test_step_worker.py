"""The provider steps' worker: due steps run concurrently within a bound, a provider that
hangs holds only its own slot, and stopping cancels the calls in flight."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from commerce.kernel.domain import utc_now
from commerce.payment.adapters.inbound.step_worker import StepWorker
from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.application.commands import RequestPayment
from commerce.payment.application.order_requests import RequestPaymentHandler
from commerce.payment.application.ports import StepPolicy
from commerce.payment.application.provider_steps import ProviderSteps
from commerce.payment.domain.payment import PaymentMethod, PaymentStatus
from tests.broker import eventually
from tests.unit.payment.fakes import FakeUnitOfWork, InMemoryLedger, Store

POLICY = StepPolicy(authorize_deadline=timedelta(seconds=20), call_timeout=timedelta(seconds=10))


async def test_a_hanging_provider_holds_one_slot_and_the_others_go_on() -> None:
    store, ledger = Store(), InMemoryLedger()
    ids = iter(range(100))

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    request = RequestPaymentHandler(uow, utc_now, lambda: f"pay-{next(ids)}", POLICY)
    steps = ProviderSteps(uow, utc_now, SimulatedProvider(ledger), POLICY)
    worker = StepWorker(steps, concurrency=2, poll_seconds=0.01)
    tokens = ["tok_unavailable", "tok_visa", "tok_visa", "tok_declined"]
    for n, token in enumerate(tokens):
        await request(RequestPayment(f"e-{n}", f"o-{n}", "u", 100, PaymentMethod.CARD, token))
    worker.start()
    try:

        def decided() -> bool:
            return all(
                store.of_order(f"o-{n}").status is not PaymentStatus.PENDING for n in (1, 2, 3)
            )

        await asyncio.wait_for(eventually(decided), 5)
        # the hanging call is still in flight: claimed, not decided
        assert store.of_order("o-0").status is PaymentStatus.PENDING
        assert store.of_order("o-0").attempts == 1
        assert len(ledger.charges()) == 2
    finally:
        await worker.stop()
    assert store.of_order("o-0").status is PaymentStatus.PENDING  # its claim will lapse


async def test_notify_wakes_the_worker_before_its_poll() -> None:
    store, ledger = Store(), InMemoryLedger()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    request = RequestPaymentHandler(uow, utc_now, lambda: "pay-1", POLICY)
    worker = StepWorker(
        ProviderSteps(uow, utc_now, SimulatedProvider(ledger), POLICY),
        concurrency=4,
        poll_seconds=3600,
    )
    worker.start()
    try:
        await asyncio.sleep(0.05)  # the first look found nothing; the next poll is an hour away
        await request(RequestPayment("e", "o", "u", 100, PaymentMethod.CARD, "tok_visa"))
        worker.notify()
        await asyncio.wait_for(
            eventually(lambda: store.of_order("o").status is PaymentStatus.AUTHORIZED), 2
        )
    finally:
        await worker.stop()
