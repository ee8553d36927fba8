"""Use cases: apply the catalog's replies (StockReserved, StockRejected, StockReleased).

Each reply is applied at most once (inbox, same transaction as the effect); replies the order
no longer needs leave it unchanged (see the aggregate). StockReserved asks for the payment
next; only the payment's authorization confirms the order. A reply that loses a race with a
concurrent change (``StaleOrder``) is not retried here: it propagates, and the consumer's
processor, the one place that retries, delivers it again in a fresh transaction.
"""

from __future__ import annotations

from commerce.order.application.commands import (
    RecordRejection,
    RecordRelease,
    RecordReservation,
)
from commerce.order.application.replies import ReplyHandler
from commerce.order.domain.order import Reply


class CatalogReplyHandler(ReplyHandler):
    async def reserved(self, command: RecordReservation) -> Reply | None:
        return await self._apply(
            command.event_id,
            command.order_id,
            lambda order, now: order.stock_reserved(command.lines, now),
        )

    async def rejected(self, command: RecordRejection) -> Reply | None:
        return await self._apply(
            command.event_id, command.order_id, lambda order, now: order.reject(command.reason, now)
        )

    async def released(self, command: RecordRelease) -> Reply | None:
        return await self._apply(
            command.event_id, command.order_id, lambda order, _now: order.release_confirmed()
        )
