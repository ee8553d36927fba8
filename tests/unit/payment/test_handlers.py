"""The payment use cases and the order-events adapter, over fakes: requests become PENDING
payments, the provider steps decide them, and order events capture, void or refund."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.ordering import (
    OrderCancelled,
    OrderConfirmed,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
)
from commerce.payment.adapters.inbound.order_events import OrderEventsHandler
from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.application.commands import CapturePayment, RequestPayment, WithdrawPayment
from commerce.payment.application.order_requests import (
    CapturePaymentHandler,
    RequestPaymentHandler,
    WithdrawPaymentHandler,
)
from commerce.payment.application.ports import PaymentProvider, StepPolicy
from commerce.payment.application.provider_steps import ProviderSteps
from commerce.payment.application.queries import PaymentReader
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.domain.payment import DeclineReason, PaymentMethod, PaymentStatus, Step
from tests.unit.payment.fakes import (
    FakeClock,
    FakeUnitOfWork,
    InMemoryLedger,
    ScriptedProvider,
    Store,
)

POLICY = StepPolicy(
    authorize_deadline=timedelta(seconds=25),
    call_timeout=timedelta(seconds=5),
    backoff_base=timedelta(seconds=1),
    backoff_cap=timedelta(seconds=4),
)


class Service:
    def __init__(self, provider: PaymentProvider) -> None:
        self.store = Store()
        self.clock = FakeClock()
        self.provider = provider
        ids = iter(range(1, 1000))
        uow = lambda: FakeUnitOfWork(self.store)  # noqa: E731
        self.use_cases = PaymentUseCases(
            request=RequestPaymentHandler(uow, self.clock, lambda: f"pay-{next(ids)}", POLICY),
            capture=CapturePaymentHandler(uow, self.clock),
            withdraw=WithdrawPaymentHandler(uow, self.clock),
            steps=ProviderSteps(uow, self.clock, provider, POLICY),
            read=PaymentReader(queries=None),  # type: ignore[arg-type]
        )
        self.handler = OrderEventsHandler(self.use_cases)

    async def request(self, token: str | None = "tok_visa", *, event_id: str = "e-1") -> None:
        method = PaymentMethod.CARD if token else PaymentMethod.INVOICE
        await self.use_cases.request(
            RequestPayment(event_id, "order-1", "user-1", 9_000, method, token)
        )

    async def run_due(self) -> list[PaymentStatus | None]:
        return [await self.use_cases.steps.run(i) for i in await self.use_cases.steps.due(10)]

    def payment(self) -> PaymentStatus:
        return self.store.of_order("order-1").status


@pytest.fixture
def ledger() -> InMemoryLedger:
    return InMemoryLedger()


@pytest.fixture
def service(ledger: InMemoryLedger) -> Service:
    return Service(SimulatedProvider(ledger))


async def test_a_request_is_recorded_pending_and_authorized_by_the_steps(
    service: Service, ledger: InMemoryLedger
) -> None:
    await service.request()
    assert service.payment() is PaymentStatus.PENDING and service.store.outbox == []
    assert await service.run_due() == [PaymentStatus.AUTHORIZED]
    assert service.store.event_types() == ["PaymentAuthorized"]
    assert len(ledger.charges()) == 1
    assert await service.run_due() == []  # nothing owed any more


async def test_a_declined_card_is_declined(service: Service, ledger: InMemoryLedger) -> None:
    await service.request("tok_insufficient_funds")
    await service.run_due()
    payment = service.store.of_order("order-1")
    assert payment.status is PaymentStatus.DECLINED
    assert payment.reason is DeclineReason.PAYMENT_DECLINED
    assert service.store.event_types() == ["PaymentDeclined"]
    assert ledger.charges() == []


async def test_a_redelivered_request_changes_nothing(
    service: Service, ledger: InMemoryLedger
) -> None:
    await service.request()
    await service.run_due()
    await service.request()  # same event id
    await service.run_due()
    assert service.store.event_types() == ["PaymentAuthorized"]
    assert len(ledger.charges()) == 1


async def test_a_repeated_request_republishes_the_outcome_without_a_second_authorization(
    ledger: InMemoryLedger,
) -> None:
    provider = ScriptedProvider()
    service = Service(provider)
    await service.request()
    await service.run_due()
    await service.request(event_id="e-2")  # the order's re-drive: a new event
    assert await service.run_due() == []
    assert service.store.event_types() == ["PaymentAuthorized", "PaymentAuthorized"]
    assert provider.calls == [("authorize", "order-1:authorize")]


async def test_flaky_is_retried_with_backoff_and_charged_once(
    service: Service, ledger: InMemoryLedger
) -> None:
    await service.request("tok_flaky")
    assert await service.run_due() == [PaymentStatus.PENDING]
    assert await service.run_due() == []  # backing off: not due yet
    service.clock.advance(1)
    assert await service.run_due() == [PaymentStatus.PENDING]
    service.clock.advance(1)
    assert await service.run_due() == []  # the second wait doubled
    service.clock.advance(1)
    assert await service.run_due() == [PaymentStatus.AUTHORIZED]
    (charge,) = ledger.charges()
    assert charge.attempts == 3


async def test_an_unanswered_authorization_is_declined_unavailable_by_the_deadline() -> None:
    provider = ScriptedProvider(authorize=["down"])
    service = Service(provider)
    await service.request("tok_unavailable")
    for _ in range(40):
        await service.run_due()
        service.clock.advance(1)
    payment = service.store.of_order("order-1")
    assert payment.status is PaymentStatus.DECLINED
    assert payment.reason is DeclineReason.PAYMENT_UNAVAILABLE
    assert payment.updated_at <= payment.created_at + POLICY.authorize_deadline
    assert service.store.event_types() == ["PaymentDeclined"]
    assert 3 <= len(provider.calls) < 25  # retried, with waits in between
    assert {key for _, key in provider.calls} == {"order-1:authorize"}


async def test_the_call_time_out_ends_a_provider_that_hangs(ledger: InMemoryLedger) -> None:
    short = StepPolicy(authorize_deadline=timedelta(seconds=0.05))
    service = Service(SimulatedProvider(ledger))
    service.use_cases = PaymentUseCases(
        request=RequestPaymentHandler(
            lambda: FakeUnitOfWork(service.store), service.clock, lambda: "pay-1", short
        ),
        capture=service.use_cases.capture,
        withdraw=service.use_cases.withdraw,
        steps=ProviderSteps(
            lambda: FakeUnitOfWork(service.store), service.clock, service.provider, short
        ),
        read=service.use_cases.read,
    )
    await service.request("tok_unavailable")
    assert await service.run_due() == [PaymentStatus.PENDING]  # timed out after 0.05 s
    service.clock.advance(1)
    assert await service.run_due() == [PaymentStatus.DECLINED]


async def test_shipping_captures(service: Service, ledger: InMemoryLedger) -> None:
    await service.request()
    await service.run_due()
    await service.use_cases.capture(CapturePayment("e-2", "order-1"))
    await service.use_cases.capture(CapturePayment("e-3", "order-1"))  # shipped twice
    await service.run_due()
    assert service.payment() is PaymentStatus.CAPTURED
    assert service.store.event_types() == ["PaymentAuthorized", "PaymentCaptured"]
    assert len(ledger.charges("capture")) == 1


async def test_cancelling_after_authorization_voids(service: Service) -> None:
    await service.request()
    await service.run_due()
    await service.use_cases.withdraw(WithdrawPayment("e-2", "order-1"))
    await service.run_due()
    assert service.payment() is PaymentStatus.VOIDED
    assert service.store.event_types() == ["PaymentAuthorized", "PaymentVoided"]


async def test_cancelling_after_capture_refunds(service: Service) -> None:
    await service.request()
    await service.run_due()
    await service.use_cases.capture(CapturePayment("e-2", "order-1"))
    await service.run_due()
    await service.use_cases.withdraw(WithdrawPayment("e-3", "order-1"))
    await service.run_due()
    assert service.payment() is PaymentStatus.REFUNDED
    assert service.store.event_types()[-1] == "PaymentRefunded"


async def test_cancelling_before_the_request_declines_it_without_the_provider() -> None:
    provider = ScriptedProvider()
    service = Service(provider)
    await service.use_cases.withdraw(WithdrawPayment("e-0", "order-1"))
    await service.request()
    await service.run_due()
    assert service.payment() is PaymentStatus.DECLINED
    assert provider.calls == []


async def test_cancelling_while_the_authorization_is_under_way_voids_after_it() -> None:
    provider = ScriptedProvider(authorize=["down", "ok"])
    service = Service(provider)
    await service.request()
    await service.run_due()  # one attempt, no answer: the provider may hold something
    await service.use_cases.withdraw(WithdrawPayment("e-2", "order-1"))
    service.clock.advance(1)
    await service.run_due()  # authorized, and the void owed at once
    await service.run_due()
    assert service.payment() is PaymentStatus.VOIDED
    assert [op for op, _ in provider.calls] == ["authorize", "authorize", "void"]


async def test_a_rejected_order_voids_its_authorization(service: Service) -> None:
    await service.request()
    await service.run_due()
    envelope = EventEnvelope.wrap(OrderRejected(order_id="order-1", reason="X"), "order")
    await service.handler(envelope)
    await service.run_due()
    assert service.payment() is PaymentStatus.VOIDED


async def test_a_refused_void_is_logged_and_dropped() -> None:
    provider = ScriptedProvider(void=["no"])
    service = Service(provider)
    await service.request()
    await service.run_due()
    await service.use_cases.withdraw(WithdrawPayment("e-2", "order-1"))
    await service.run_due()
    payment = service.store.of_order("order-1")
    assert payment.status is PaymentStatus.AUTHORIZED and payment.next_step is None


async def test_a_step_whose_claim_lapsed_is_taken_again() -> None:
    provider = ScriptedProvider()
    service = Service(provider)
    await service.request()
    payment = service.store.of_order("order-1")
    payment.begin_attempt(service.clock(), POLICY.lease)  # a worker claimed it and died
    service.store.payments[payment.id] = payment
    assert await service.run_due() == []
    service.clock.advance(POLICY.lease.total_seconds())
    assert await service.run_due() == [PaymentStatus.AUTHORIZED]
    assert service.store.of_order("order-1").next_step is None


async def test_shipping_an_unauthorized_payment_is_ignored(service: Service) -> None:
    await service.request("tok_declined")
    await service.run_due()
    assert await service.use_cases.capture(CapturePayment("e-2", "order-1")) is False
    assert service.payment() is PaymentStatus.DECLINED
    assert service.store.of_order("order-1").next_step is not Step.CAPTURE


async def test_the_adapter_routes_order_events(service: Service, ledger: InMemoryLedger) -> None:
    requested = PaymentRequested(
        order_id="order-1", user_id="u", amount=3_000, method="card", token="tok_visa"
    )
    await service.handler(EventEnvelope.wrap(requested, "order"))
    await service.run_due()
    shipped = OrderShipped(order_id="order-1", carrier="c", tracking_number="t")
    await service.handler(EventEnvelope.wrap(shipped, "order"))
    await service.run_due()
    assert service.payment() is PaymentStatus.CAPTURED
    await service.handler(EventEnvelope.wrap(OrderCancelled(order_id="order-1"), "order"))
    await service.run_due()
    assert service.payment() is PaymentStatus.REFUNDED
    assert ledger.charges()[0].amount == 3_000


async def test_the_adapter_ignores_types_it_does_not_act_on(service: Service) -> None:
    await service.handler(EventEnvelope.wrap(OrderConfirmed(order_id="o", total=1), "order"))
    unknown = EventEnvelope.wrap(OrderCancelled(order_id="o"), "order").model_copy(
        update={"type": "OrderTeleported", "data": {"whatever": 1}}
    )
    await service.handler(unknown)
    assert service.store.payments == {} and service.store.inbox == set()


async def test_the_adapter_raises_on_a_malformed_event(service: Service) -> None:
    broken = EventEnvelope.wrap(OrderCancelled(order_id="o"), "order").model_copy(
        update={"type": "PaymentRequested", "data": {"order_id": "o"}}
    )
    with pytest.raises(ValueError):  # the kernel's processor dead-letters it
        await service.handler(broken)
    assert service.store.payments == {}
