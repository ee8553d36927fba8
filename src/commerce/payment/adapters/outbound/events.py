"""The payment's domain events in the published language (``commerce.contracts.payments``)."""

from __future__ import annotations

from typing import cast

from commerce.contracts import payments
from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.kernel.domain import DomainEvent
from commerce.payment.domain import events

SOURCE = "payment"


def integration_event(event: DomainEvent) -> EventPayload:
    match event:
        case events.PaymentAuthorized():
            return payments.PaymentAuthorized(
                order_id=event.order_id, payment_id=event.payment_id, amount=event.amount
            )
        case events.PaymentDeclined():
            reason = cast(payments.PaymentDeclineReason, event.reason)
            return payments.PaymentDeclined(
                order_id=event.order_id, payment_id=event.payment_id, reason=reason
            )
        case events.PaymentCaptured():
            return payments.PaymentCaptured(
                order_id=event.order_id, payment_id=event.payment_id, amount=event.amount
            )
        case events.PaymentVoided():
            return payments.PaymentVoided(order_id=event.order_id, payment_id=event.payment_id)
        case events.PaymentRefunded():
            return payments.PaymentRefunded(
                order_id=event.order_id, payment_id=event.payment_id, amount=event.amount
            )
    raise TypeError(f"no integration event for {type(event).__name__}")


def envelope_of(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope.wrap(integration_event(event), SOURCE, occurred_at=event.occurred_at)
