"""What the payment use cases need from the outside, named by role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from commerce.kernel.ports import InboxUnitOfWork
from commerce.payment.domain.payment import Payment, PaymentMethod, Step


class ProviderUnavailable(Exception):
    """The provider gave no answer (outage, 5xx, time-out): the same call, with the same
    idempotency key, may be made again and is then answered as if it were the first."""


@dataclass(frozen=True)
class ProviderAnswer:
    """The provider's decision. ``reference`` names an approved authorization at the provider
    (a payment intent, a transaction id): capture, void and refund act on it."""

    approved: bool
    reference: str | None = None


@dataclass(frozen=True)
class Charge:
    """What an authorization asks the provider to hold."""

    order_id: str
    user_id: str
    amount: int
    method: PaymentMethod
    token: str | None


class PaymentProvider(Protocol):
    """A payment provider (simulated, Stripe, Toss...). Every call carries an idempotency key,
    one per order and operation (:func:`idempotency_key`): the provider answers a repeated key
    with its first answer and never charges twice. A call that gets no answer raises
    :class:`ProviderUnavailable`; the caller bounds each call with its own time-out."""

    async def authorize(self, charge: Charge, *, idempotency_key: str) -> ProviderAnswer:
        """Hold ``charge.amount``; approved answers carry the authorization's reference."""

    async def capture(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        """Charge what the authorization holds."""

    async def void(self, reference: str, *, idempotency_key: str) -> ProviderAnswer:
        """Let go of an authorization that was not captured."""

    async def refund(self, reference: str, amount: int, *, idempotency_key: str) -> ProviderAnswer:
        """Pay back a captured amount."""


def idempotency_key(order_id: str, step: Step) -> str:
    """One key per order and operation: ``<order_id>:authorize``, ``<order_id>:capture``..."""
    return f"{order_id}:{step.value}"


class StalePayment(Exception):
    """The payment changed since it was loaded; the use case should run again."""


class PaymentRepository(Protocol):
    """Payments as whole aggregates (with their history), and cancellations that came first."""

    async def add(self, payment: Payment) -> None:
        """Insert a new payment (one per order: a second raises)."""

    async def get(self, payment_id: str) -> Payment | None: ...

    async def for_order(self, order_id: str) -> Payment | None: ...

    async def for_order_or_withdrawal(self, order_id: str) -> tuple[Payment | None, bool]:
        """The order's payment, and whether the order was withdrawn before it asked for one
        (``remember_withdrawal``): what a payment request needs, in one read when new."""

    async def save(self, payment: Payment) -> None:
        """Write a loaded payment back; raises :class:`StalePayment` if it changed meanwhile."""

    async def due(self, now: datetime, limit: int) -> Sequence[str]:
        """Ids of payments owing a provider step due at ``now``, most overdue first."""

    async def remember_withdrawal(self, order_id: str, now: datetime) -> None:
        """The order was cancelled or rejected before it asked for payment."""


class PaymentUnitOfWork(InboxUnitOfWork, Protocol):
    """One transaction; ``commit`` also writes the payments' events to the outbox."""

    @property
    def payments(self) -> PaymentRepository: ...


@dataclass(frozen=True)
class StepPolicy:
    """How provider steps are tried: each call bounded by ``call_timeout``; after a failure,
    a doubling wait from ``backoff_base`` up to ``backoff_cap``; an authorization given up
    ``authorize_deadline`` after the request (declined PAYMENT_UNAVAILABLE)."""

    authorize_deadline: timedelta = timedelta(seconds=25)
    call_timeout: timedelta = timedelta(seconds=5)
    backoff_base: timedelta = timedelta(seconds=0.5)
    backoff_cap: timedelta = timedelta(seconds=5)

    @property
    def lease(self) -> timedelta:
        """How long a claimed step waits before another worker may take it (a worker died)."""
        return self.call_timeout * 2
