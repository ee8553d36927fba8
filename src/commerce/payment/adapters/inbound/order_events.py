"""The payment's side of the saga: order events in, use cases called.

The kernel's consumer runner delivers each message of ``commerce.order.events`` here and
commits its offset only after we return; raising makes it retry and, in the end, park the
message in the dead-letter topic. Types this service does not act on (``OrderPlaced``,
``OrderConfirmed``, ``OrderDelivered``, newer ones) are skipped unparsed (tolerant reader).
"""

from __future__ import annotations

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.ordering import (
    OrderCancelled,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
)
from commerce.payment.application.commands import CapturePayment, RequestPayment, WithdrawPayment
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.domain.payment import PaymentMethod

HANDLED = frozenset(
    {
        PaymentRequested.event_type,
        OrderShipped.event_type,
        OrderCancelled.event_type,
        OrderRejected.event_type,
    }
)


class OrderEventsHandler:
    """``EventHandler`` for the consumer group ``payment`` on ``commerce.order.events``."""

    def __init__(self, use_cases: PaymentUseCases) -> None:
        self._use_cases = use_cases

    async def __call__(self, envelope: EventEnvelope) -> None:
        if envelope.type not in HANDLED:
            return
        payload = parse_payload(envelope)  # a malformed event raises: parked as a dead letter
        if isinstance(payload, PaymentRequested):
            await self._use_cases.request(
                RequestPayment(
                    event_id=envelope.id,
                    order_id=payload.order_id,
                    user_id=payload.user_id,
                    amount=payload.amount,
                    method=PaymentMethod(payload.method),
                    token=payload.token,
                )
            )
        elif isinstance(payload, OrderShipped):
            await self._use_cases.capture(CapturePayment(envelope.id, payload.order_id))
        else:
            assert isinstance(payload, OrderCancelled | OrderRejected)
            await self._use_cases.withdraw(WithdrawPayment(envelope.id, payload.order_id))
