"""Commands: what the order's events ask of the payment service."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.payment.domain.payment import PaymentMethod


@dataclass(frozen=True)
class RequestPayment:
    event_id: str
    order_id: str
    user_id: str
    amount: int
    method: PaymentMethod
    token: str | None


@dataclass(frozen=True)
class CapturePayment:
    """The order shipped."""

    event_id: str
    order_id: str


@dataclass(frozen=True)
class WithdrawPayment:
    """The order was cancelled or rejected."""

    event_id: str
    order_id: str
