"""The shipped payment provider: a simulation with the contract's test tokens.

- ``tok_visa`` authorizes; ``tok_declined`` and ``tok_insufficient_funds`` are declined (as is
  any other token: a real provider declines what it does not know);
- ``tok_unavailable`` never answers (the caller's time-out ends the call);
- ``tok_flaky`` fails (no answer) on its first two calls, then authorizes;
- the ``invoice`` method always authorizes (pay later).

Like a real provider it keeps a ledger of every answer by idempotency key
(:class:`ChargeLedger`): a key seen before gets its first answer again and charges nothing
more. Capture, void and refund are approved for an approved authorization, refused otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from commerce.payment.application.ports import Charge, ProviderAnswer, ProviderUnavailable
from commerce.payment.domain.payment import PaymentMethod

APPROVED_TOKENS = frozenset({"tok_visa"})
UNAVAILABLE_TOKEN = "tok_unavailable"  # noqa: S105 - a public test token of the contract
FLAKY_TOKEN = "tok_flaky"  # noqa: S105 - a public test token of the contract
FLAKY_FAILURES = 2


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    FAILED = "failed"  # no answer this time; the key stays open


@dataclass(frozen=True)
class LedgerEntry:
    idempotency_key: str
    operation: str
    amount: int
    reference: str | None
    outcome: Outcome
    attempts: int


Decide = Callable[[int], Outcome]


class ChargeLedger(Protocol):
    """The provider's own record of answers, one entry per idempotency key."""

    async def settle(
        self, key: str, *, operation: str, amount: int, reference: str | None, decide: Decide
    ) -> LedgerEntry:
        """Atomically: a key answered before (approved or declined) returns its entry as it
        is; otherwise count this call and store ``decide(attempts)`` (1 on the first call)."""

    async def find(self, key: str) -> LedgerEntry | None: ...


async def never_answer() -> None:
    await asyncio.Event().wait()


class SimulatedProvider:
    """A :class:`~commerce.payment.application.ports.PaymentProvider`."""

    def __init__(
        self, ledger: ChargeLedger, *, hang: Callable[[], Awaitable[None]] = never_answer
    ) -> None:
        self._ledger = ledger
        self._hang = hang

    async def authorize(self, charge: Charge, *, idempotency_key: str) -> ProviderAnswer:
        token = charge.token if charge.method is PaymentMethod.CARD else None
        if token == UNAVAILABLE_TOKEN:
            await self._hang()
            raise ProviderUnavailable("no answer")
        entry = await self._ledger.settle(
            idempotency_key,
            operation="authorize",
            amount=charge.amount,
            reference=idempotency_key,
            decide=_authorization(charge.method, token),
        )
        return _answer(entry)

    async def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return await self._on_authorization("capture", reference, amount, idempotency_key)

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderAnswer:
        return await self._on_authorization("void", reference, 0, idempotency_key)

    async def refund(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return await self._on_authorization("refund", reference, amount, idempotency_key)

    async def _on_authorization(
        self, operation: str, reference: str, amount: int, key: str
    ) -> ProviderAnswer:
        authorization = await self._ledger.find(reference) if reference else None
        held = authorization is not None and authorization.outcome is Outcome.APPROVED
        entry = await self._ledger.settle(
            key,
            operation=operation,
            amount=amount,
            reference=reference,
            decide=lambda _attempts: Outcome.APPROVED if held else Outcome.DECLINED,
        )
        return _answer(entry)


def _authorization(method: PaymentMethod, token: str | None) -> Decide:
    if method is PaymentMethod.INVOICE or token in APPROVED_TOKENS:
        return lambda _attempts: Outcome.APPROVED
    if token == FLAKY_TOKEN:
        return lambda attempts: Outcome.FAILED if attempts <= FLAKY_FAILURES else Outcome.APPROVED
    return lambda _attempts: Outcome.DECLINED


def _answer(entry: LedgerEntry) -> ProviderAnswer:
    if entry.outcome is Outcome.FAILED:
        raise ProviderUnavailable("simulated outage")
    approved = entry.outcome is Outcome.APPROVED
    return ProviderAnswer(approved=approved, reference=entry.reference if approved else None)
