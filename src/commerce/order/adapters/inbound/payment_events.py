"""The order's side of the payment step: payment events in, the use case called.

Delivered by the kernel's consumer runner from ``commerce.payment.events`` (same consumer
group ``order`` as the catalog's events); raising makes it retry and, in the end, park the
message in the dead-letter topic (the re-drive then asks the payment service again).
"""

from __future__ import annotations

import logging

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.payments import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentDeclined,
    PaymentRefunded,
    PaymentVoided,
)
from commerce.kernel.observability.platform_metrics import record_saga_outcome
from commerce.order.application.commands import RecordPayment
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.domain.order import Reply
from commerce.order.domain.payment import PaymentStatus

log = logging.getLogger("commerce.order.events")
STATUS_OF = {
    PaymentAuthorized.event_type: PaymentStatus.AUTHORIZED,
    PaymentDeclined.event_type: PaymentStatus.DECLINED,
    PaymentCaptured.event_type: PaymentStatus.CAPTURED,
    PaymentVoided.event_type: PaymentStatus.VOIDED,
    PaymentRefunded.event_type: PaymentStatus.REFUNDED,
}


class PaymentEventsHandler:
    """``EventHandler`` for ``commerce.payment.events``; other types are not its business."""

    def __init__(self, replies: PaymentReplyHandler) -> None:
        self._replies = replies

    async def __call__(self, envelope: EventEnvelope) -> None:
        status = STATUS_OF.get(envelope.type)
        if status is None:
            return  # catalog events, and types newer than this code
        payload = parse_payload(envelope)  # a malformed reply raises: retried, then parked
        assert isinstance(
            payload,
            PaymentAuthorized | PaymentDeclined | PaymentCaptured | PaymentVoided | PaymentRefunded,
        )
        reason = payload.reason if isinstance(payload, PaymentDeclined) else None
        reply = await self._replies(RecordPayment(envelope.id, payload.order_id, status, reason))
        if reply is Reply.APPLIED and status in (PaymentStatus.AUTHORIZED, PaymentStatus.DECLINED):
            record_saga_outcome("confirmed" if status is PaymentStatus.AUTHORIZED else "rejected")
        log.debug("%s for order %s: %s", envelope.type, payload.order_id, reply)
