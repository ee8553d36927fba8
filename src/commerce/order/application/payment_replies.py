"""Use case: apply the payment service's replies (PaymentAuthorized, PaymentDeclined, then
PaymentCaptured, PaymentVoided, PaymentRefunded).

Authorized confirms an order awaiting its payment; declined rejects it and releases its
reservation. The later events only note the payment's state. Each is applied at most once
(inbox); a late or repeated one never moves a final order (see the aggregate).
"""

from __future__ import annotations

from datetime import datetime

from commerce.order.application.commands import RecordPayment
from commerce.order.application.replies import ReplyHandler
from commerce.order.domain.order import PAYMENT_UNAVAILABLE, Order, Reply
from commerce.order.domain.payment import PaymentStatus


class PaymentReplyHandler(ReplyHandler):
    async def __call__(self, command: RecordPayment) -> Reply | None:
        status = command.status

        def change(order: Order, now: datetime) -> Reply:
            if status is PaymentStatus.AUTHORIZED:
                return order.authorize(now)
            if status is PaymentStatus.DECLINED:
                return order.decline(command.reason or PAYMENT_UNAVAILABLE, now)
            return order.payment_reported(status, now)

        return await self._apply(command.event_id, command.order_id, change)
