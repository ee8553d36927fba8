"""Events the payment service publishes on ``commerce.payment.events``, keyed by ``order_id``.

One payment per order. ``PaymentAuthorized`` or ``PaymentDeclined`` answers the order's
``PaymentRequested``; ``PaymentCaptured``, ``PaymentVoided`` and ``PaymentRefunded`` follow
``OrderShipped`` and ``OrderCancelled``. A redelivered or re-driven request is answered again
with the payment's outcome, never charged again.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from commerce.contracts.envelope import EventPayload

# As in the public API's order ``reason``.
PaymentDeclineReason = Literal["PAYMENT_DECLINED", "PAYMENT_UNAVAILABLE"]


class _PaymentEvent(EventPayload):
    order_id: str = Field(min_length=1)

    @property
    def partition_key(self) -> str:
        return self.order_id


class PaymentAuthorized(_PaymentEvent):
    """The provider holds ``amount`` KRW for the order; nothing is charged yet."""

    event_type: ClassVar[str] = "PaymentAuthorized"

    payment_id: str = Field(min_length=1)
    amount: int = Field(ge=0)


class PaymentDeclined(_PaymentEvent):
    """The provider refused (or never answered): nothing is held or charged."""

    event_type: ClassVar[str] = "PaymentDeclined"

    payment_id: str = Field(min_length=1)
    reason: PaymentDeclineReason


class PaymentCaptured(_PaymentEvent):
    """The authorized amount was charged (the order shipped)."""

    event_type: ClassVar[str] = "PaymentCaptured"

    payment_id: str = Field(min_length=1)
    amount: int = Field(ge=0)


class PaymentVoided(_PaymentEvent):
    """The authorization was let go before capture (the order was cancelled or rejected)."""

    event_type: ClassVar[str] = "PaymentVoided"

    payment_id: str = Field(min_length=1)


class PaymentRefunded(_PaymentEvent):
    """A captured amount was paid back."""

    event_type: ClassVar[str] = "PaymentRefunded"

    payment_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
