"""The simulated provider: every test token of the contract, and idempotency by key."""

from __future__ import annotations

import asyncio

import pytest

from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.application.ports import Charge, ProviderUnavailable
from commerce.payment.domain.payment import PaymentMethod
from tests.unit.payment.fakes import InMemoryLedger


def card(token: str | None, amount: int = 5_000) -> Charge:
    return Charge("order-1", "user-1", amount, PaymentMethod.CARD, token)


@pytest.fixture
def ledger() -> InMemoryLedger:
    return InMemoryLedger()


@pytest.fixture
def provider(ledger: InMemoryLedger) -> SimulatedProvider:
    return SimulatedProvider(ledger)


async def test_tok_visa_authorizes_and_charges_once_per_key(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    first = await provider.authorize(card("tok_visa"), idempotency_key="order-1:authorize")
    again = await provider.authorize(card("tok_visa"), idempotency_key="order-1:authorize")
    assert first.approved and first.reference
    assert again == first
    (charge,) = ledger.charges()
    assert charge.amount == 5_000 and charge.attempts == 1


async def test_another_key_is_another_charge(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    await provider.authorize(card("tok_visa"), idempotency_key="order-1:authorize")
    await provider.authorize(card("tok_visa"), idempotency_key="order-2:authorize")
    assert len(ledger.charges()) == 2


@pytest.mark.parametrize("token", ["tok_declined", "tok_insufficient_funds", "tok_unknown", None])
async def test_declining_tokens_are_declined_and_charge_nothing(
    provider: SimulatedProvider, ledger: InMemoryLedger, token: str | None
) -> None:
    answer = await provider.authorize(card(token), idempotency_key="order-1:authorize")
    assert not answer.approved and answer.reference is None
    assert ledger.charges() == []


async def test_tok_unavailable_never_answers(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            provider.authorize(card("tok_unavailable"), idempotency_key="order-1:authorize"), 0.05
        )
    assert ledger.charges() == []


async def test_tok_flaky_fails_twice_then_authorizes_once(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    key = "order-1:authorize"
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await provider.authorize(card("tok_flaky"), idempotency_key=key)
    assert ledger.charges() == []
    assert (await provider.authorize(card("tok_flaky"), idempotency_key=key)).approved
    assert (await provider.authorize(card("tok_flaky"), idempotency_key=key)).approved
    (charge,) = ledger.charges()
    assert charge.attempts == 3


async def test_an_invoice_always_authorizes(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    charge = Charge("order-1", "user-1", 7, PaymentMethod.INVOICE, None)
    assert (await provider.authorize(charge, idempotency_key="order-1:authorize")).approved
    assert len(ledger.charges()) == 1


async def test_capture_void_and_refund_act_on_an_approved_authorization(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    authorized = await provider.authorize(card("tok_visa"), idempotency_key="o:authorize")
    assert authorized.reference
    captured = await provider.capture(authorized.reference, 5_000, idempotency_key="o:capture")
    again = await provider.capture(authorized.reference, 5_000, idempotency_key="o:capture")
    refunded = await provider.refund(authorized.reference, 5_000, idempotency_key="o:refund")
    assert captured.approved and again.approved and refunded.approved
    assert len(ledger.charges("capture")) == 1 and len(ledger.charges("refund")) == 1
    assert (await provider.void(authorized.reference, idempotency_key="o:void")).approved


async def test_nothing_is_captured_or_voided_without_an_authorization(
    provider: SimulatedProvider, ledger: InMemoryLedger
) -> None:
    await provider.authorize(card("tok_declined"), idempotency_key="o:authorize")
    assert not (await provider.capture("o:authorize", 1, idempotency_key="o:capture")).approved
    assert not (await provider.void("", idempotency_key="o:void")).approved
    assert ledger.charges("capture") == []
