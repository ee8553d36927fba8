"""Provider calls are counted by operation and result, and timed."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from commerce.payment.adapters.outbound.metered_provider import MeteredProvider
from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.application.ports import Charge, ProviderUnavailable
from commerce.payment.domain.payment import PaymentMethod
from tests.unit.payment.fakes import InMemoryLedger


def calls(operation: str, result: str) -> float:
    labels = {"operation": operation, "result": result}
    return REGISTRY.get_sample_value("commerce_payment_provider_calls_total", labels) or 0.0


def card(token: str) -> Charge:
    return Charge("o", "u", 10, PaymentMethod.CARD, token)


async def test_each_result_is_counted() -> None:
    provider = MeteredProvider(SimulatedProvider(InMemoryLedger()))
    before = {r: calls("authorize", r) for r in ("approved", "declined", "unavailable", "timeout")}
    timed = REGISTRY.get_sample_value(
        "commerce_payment_provider_call_duration_seconds_count", {"operation": "authorize"}
    )

    await provider.authorize(card("tok_visa"), idempotency_key="a")
    await provider.authorize(card("tok_declined"), idempotency_key="b")
    with pytest.raises(ProviderUnavailable):
        await provider.authorize(card("tok_flaky"), idempotency_key="c")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            provider.authorize(card("tok_unavailable"), idempotency_key="d"), 0.01
        )
    captured = await provider.capture("a", 10, idempotency_key="a:capture")

    assert {r: calls("authorize", r) - before[r] for r in before} == {
        "approved": 1,
        "declined": 1,
        "unavailable": 1,
        "timeout": 1,
    }
    assert captured.approved and calls("capture", "approved") >= 1
    after = REGISTRY.get_sample_value(
        "commerce_payment_provider_call_duration_seconds_count", {"operation": "authorize"}
    )
    assert after == (timed or 0) + 4
