"""Provider calls counted and timed for operators, around whichever provider is configured.

Labels are bounded (docs/adr/0080): the operation (4) and the result: ``approved``,
``declined``, ``unavailable`` (no answer) or ``timeout`` (cut off by the caller's time-out).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from prometheus_client import Counter, Histogram

from commerce.payment.application.ports import Charge, PaymentProvider, ProviderAnswer

PROVIDER_CALLS = Counter(
    "commerce_payment_provider_calls",
    "Calls to the payment provider, by operation and result.",
    ["operation", "result"],
)
PROVIDER_CALL_DURATION = Histogram(
    "commerce_payment_provider_call_duration_seconds",
    "Time a provider call took until its answer, failure or time-out, by operation.",
    ["operation"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class MeteredProvider:
    """A :class:`PaymentProvider` that measures the one it wraps."""

    def __init__(self, provider: PaymentProvider) -> None:
        self._provider = provider

    async def authorize(self, charge: Charge, *, idempotency_key: str) -> ProviderAnswer:
        return await _measured(
            "authorize", self._provider.authorize(charge, idempotency_key=idempotency_key)
        )

    async def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return await _measured(
            "capture", self._provider.capture(reference, amount, idempotency_key=idempotency_key)
        )

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderAnswer:
        return await _measured(
            "void", self._provider.void(reference, idempotency_key=idempotency_key)
        )

    async def refund(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return await _measured(
            "refund", self._provider.refund(reference, amount, idempotency_key=idempotency_key)
        )


async def _measured(operation: str, call: Awaitable[ProviderAnswer]) -> ProviderAnswer:
    started = time.perf_counter()
    result = "unavailable"
    try:
        answer = await call
        result = "approved" if answer.approved else "declined"
        return answer
    except asyncio.CancelledError:
        result = "timeout"
        raise
    finally:
        PROVIDER_CALLS.labels(operation, result).inc()
        PROVIDER_CALL_DURATION.labels(operation).observe(time.perf_counter() - started)
