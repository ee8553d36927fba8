"""The order's side of the saga: catalog events in, use cases called.

The kernel's consumer runner delivers each message of ``commerce.catalog.events`` here and
commits its offset only after we return; raising makes it retry and, in the end, park the
message in the dead-letter topic (the re-drive then asks the catalog again).
"""

from __future__ import annotations

import logging

from commerce.contracts.catalog import StockRejected, StockReleased, StockReserved
from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.kernel.observability.platform_metrics import record_saga_outcome
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.commands import (
    RecordRejection,
    RecordRelease,
    RecordReservation,
)
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import Reply

log = logging.getLogger("commerce.order.events")
HANDLED = frozenset({StockReserved.event_type, StockRejected.event_type, StockReleased.event_type})


class CatalogEventsHandler:
    """``EventHandler`` for the consumer group ``order`` on ``commerce.catalog.events``."""

    def __init__(self, replies: CatalogReplyHandler) -> None:
        self._replies = replies

    async def __call__(self, envelope: EventEnvelope) -> None:
        if envelope.type not in HANDLED:
            return  # ProductCreated, ProductUpdated, and types newer than this code
        payload = parse_payload(envelope)  # a malformed reply raises: retried, then parked
        if isinstance(payload, StockReserved):
            lines = tuple(
                PricedLine(line.product_id, line.quantity, line.unit_price)
                for line in payload.items
            )
            reply = await self._replies.reserved(
                RecordReservation(envelope.id, payload.order_id, lines)
            )
        elif isinstance(payload, StockRejected):
            reply = await self._replies.rejected(
                RecordRejection(envelope.id, payload.order_id, payload.reason)
            )
        else:
            assert isinstance(payload, StockReleased)
            reply = await self._replies.released(RecordRelease(envelope.id, payload.order_id))
        # StockReserved asks for the payment: only the payment's answer confirms the order.
        if reply is Reply.APPLIED and isinstance(payload, StockRejected):
            record_saga_outcome("rejected")
        log.debug("%s for order %s: %s", envelope.type, getattr(payload, "order_id", "?"), reply)
