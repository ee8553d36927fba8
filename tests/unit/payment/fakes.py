"""Hand-written fakes of the payment service's ports: an in-memory store with transactions,
a clock, a ledger and a provider."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from commerce.kernel.domain import DomainEvent
from commerce.kernel.repository import TrackingRepository
from commerce.payment.adapters.outbound.simulated_provider import Decide, LedgerEntry, Outcome
from commerce.payment.application.ports import (
    Charge,
    ProviderAnswer,
    ProviderUnavailable,
    StalePayment,
)
from commerce.payment.domain.payment import Payment

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Store:
    """What a database would hold: committed payments, withdrawn orders, outbox, inbox."""

    payments: dict[str, Payment] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    outbox: list[DomainEvent] = field(default_factory=list)
    inbox: set[str] = field(default_factory=set)

    def of_order(self, order_id: str) -> Payment:
        (payment,) = [p for p in self.payments.values() if p.order_id == order_id]
        return payment

    def event_types(self) -> list[str]:
        return [type(event).__name__ for event in self.outbox]


class FakePaymentRepository(TrackingRepository[Payment]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self.written: list[Payment] = []
        self.withdrawn: set[str] = set()

    async def add(self, payment: Payment) -> None:
        if any(p.order_id == payment.order_id for p in self._store.payments.values()):
            raise AssertionError("a second payment for one order")
        self._track(payment)
        self.written.append(payment)

    async def get(self, payment_id: str) -> Payment | None:
        return self._loaded(self._store.payments.get(payment_id))

    async def for_order(self, order_id: str) -> Payment | None:
        found = [p for p in self._store.payments.values() if p.order_id == order_id]
        return self._loaded(found[0] if found else None)

    async def for_order_or_withdrawal(self, order_id: str) -> tuple[Payment | None, bool]:
        return await self.for_order(order_id), await self.was_withdrawn(order_id)

    def _loaded(self, payment: Payment | None) -> Payment | None:
        if payment is None:
            return None
        loaded = copy.deepcopy(payment)
        self._track(loaded)
        return loaded

    async def save(self, payment: Payment) -> None:
        if self._store.payments[payment.id].version != payment.version:
            raise StalePayment(payment.id)
        payment.stored()
        self.written.append(payment)

    async def due(self, now: datetime, limit: int) -> Sequence[str]:
        due = [
            p
            for p in self._store.payments.values()
            if p.next_step is not None
            and p.next_attempt_at is not None
            and p.next_attempt_at <= now
        ]
        due.sort(key=lambda p: p.next_attempt_at or now)
        return [p.id for p in due[:limit]]

    async def remember_withdrawal(self, order_id: str, now: datetime) -> None:
        self.withdrawn.add(order_id)

    async def was_withdrawn(self, order_id: str) -> bool:
        return order_id in self._store.withdrawn


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.payments = FakePaymentRepository(store)
        self._inbox: set[str] = set()

    async def __aenter__(self) -> Self:
        self.payments = FakePaymentRepository(self.store)
        self._inbox = set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.payments = FakePaymentRepository(self.store)  # uncommitted work vanishes

    async def first_delivery(self, event_id: str) -> bool:
        if event_id in self.store.inbox or event_id in self._inbox:
            return False
        self._inbox.add(event_id)
        return True

    async def commit(self) -> None:
        for payment in self.payments.seen:
            self.store.outbox.extend(payment.pull_events())
        for payment in self.payments.written:
            self.store.payments[payment.id] = copy.deepcopy(payment)
        self.store.withdrawn |= self.payments.withdrawn
        self.store.inbox |= self._inbox


class InMemoryLedger:
    """The simulated provider's ledger in a dict (one answer per key, as the table keeps)."""

    def __init__(self) -> None:
        self.entries: dict[str, LedgerEntry] = {}

    async def settle(
        self, key: str, *, operation: str, amount: int, reference: str | None, decide: Decide
    ) -> LedgerEntry:
        entry = self.entries.get(key)
        if entry is not None and entry.outcome is not Outcome.FAILED:
            return entry
        attempts = (entry.attempts if entry else 0) + 1
        entry = LedgerEntry(key, operation, amount, reference, decide(attempts), attempts)
        self.entries[key] = entry
        return entry

    async def find(self, key: str) -> LedgerEntry | None:
        return self.entries.get(key)

    def charges(self, operation: str = "authorize") -> list[LedgerEntry]:
        return [
            e
            for e in self.entries.values()
            if e.operation == operation and e.outcome is Outcome.APPROVED
        ]


class ScriptedProvider:
    """A provider that answers from a script per operation: ``"ok"``, ``"no"`` or ``"down"``
    (no answer); it records every call with its idempotency key."""

    def __init__(self, **script: list[str]) -> None:
        self.script = script
        self.calls: list[tuple[str, str]] = []

    def _next(self, operation: str, key: str) -> ProviderAnswer:
        self.calls.append((operation, key))
        answers = self.script.get(operation, [])
        answer = answers.pop(0) if len(answers) > 1 else (answers[0] if answers else "ok")
        if answer == "down":
            raise ProviderUnavailable(operation)
        return ProviderAnswer(
            approved=answer == "ok", reference="ref-1" if answer == "ok" else None
        )

    async def authorize(self, charge: Charge, *, idempotency_key: str) -> ProviderAnswer:
        return self._next("authorize", idempotency_key)

    async def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return self._next("capture", idempotency_key)

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderAnswer:
        return self._next("void", idempotency_key)

    async def refund(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        return self._next("refund", idempotency_key)
