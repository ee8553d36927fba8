"""Domain events the Payment aggregate raises; the outbox turns them into integration events."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.kernel.domain import DomainEvent


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(DomainEvent):
    payment_id: str
    order_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentAuthorized(PaymentEvent):
    """The provider holds ``amount`` for the order (raised again when a request is repeated)."""

    amount: int


@dataclass(frozen=True, kw_only=True)
class PaymentDeclined(PaymentEvent):
    """Nothing is held: the provider refused, or never answered before the deadline."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class PaymentCaptured(PaymentEvent):
    """The authorized amount was charged."""

    amount: int


@dataclass(frozen=True, kw_only=True)
class PaymentVoided(PaymentEvent):
    """The authorization was let go before capture."""


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(PaymentEvent):
    """The captured amount was paid back."""

    amount: int
