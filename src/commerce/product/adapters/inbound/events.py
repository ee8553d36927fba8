"""The catalog's side of the ordering saga: order events in, use cases called.

The kernel's consumer runner delivers each message of ``commerce.order.events`` here and
commits its offset only after we return; raising makes it retry and, in the end, park the
message in the dead-letter topic. An ``OrderPlaced`` that names an order but no usable lines
is answered (``StockRejected``, ``INVALID_ORDER``) rather than parked, so that the order ends;
only what names no order at all is dead-lettered.

Lock conflicts between concurrent transactions (a MariaDB deadlock or lock wait timeout,
SQLite's busy database) and two answers racing for one order (``AnsweredMeanwhile``, from the
repository) are expected under load: they propagate, and the consumer's processor retries
the message in a fresh transaction, the one place where retries happen.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from commerce.contracts.envelope import EventEnvelope, UnknownEvent, parse_payload
from commerce.contracts.ordering import OrderCancelled, OrderPlaced, OrderRejected
from commerce.kernel.domain import InvalidInput
from commerce.kernel.messaging.processing import PermanentError
from commerce.product.application.commands import ReleaseStock, ReserveStock
from commerce.product.application.use_cases import ProductUseCases
from commerce.product.domain.reservation import MAX_ORDER_ID_LENGTH

log = logging.getLogger("commerce.product.events")
C = TypeVar("C", ReserveStock, ReleaseStock)


def unusable_order(envelope: EventEnvelope) -> str | None:
    """The id of the order an ``OrderPlaced`` that does not fit its schema is about, if it
    names one we can answer (its lines are the problem); ``None`` otherwise."""
    if envelope.type != OrderPlaced.event_type:
        return None
    order_id = envelope.data.get("order_id")
    if isinstance(order_id, str) and 1 <= len(order_id) <= MAX_ORDER_ID_LENGTH:
        return order_id
    return None


class OrderEventsHandler:
    """``EventHandler`` for the consumer group ``product`` on ``commerce.order.events``.

    One attempt per delivery: the consumer's processor is the one place that retries (a lost
    race, a lock conflict, an outage), each time in a fresh transaction (docs/adr/0043).
    """

    def __init__(self, use_cases: ProductUseCases) -> None:
        self._use_cases = use_cases

    async def __call__(self, envelope: EventEnvelope) -> None:
        try:
            payload = parse_payload(envelope)
        except UnknownEvent:
            # A newer order service may publish types we do not know: tolerant reader.
            log.info("ignoring order event of unknown type %s", envelope.type)
            return
        except ValidationError:
            order_id = unusable_order(envelope)
            if order_id is None:
                raise  # nobody to answer: the consumer dead-letters it at once
            # Answered, not dead-lettered: the order must end, not wait for us forever.
            log.warning("OrderPlaced %s for order %s has no usable lines", envelope.id, order_id)
            command = ReserveStock(event_id=envelope.id, order_id=order_id, lines=())
            await self._run(self._use_cases.reserve, command)
            return
        if isinstance(payload, OrderPlaced):
            lines = tuple((item.product_id, item.quantity) for item in payload.items)
            command = ReserveStock(event_id=envelope.id, order_id=payload.order_id, lines=lines)
            await self._run(self._use_cases.reserve, command)
        elif isinstance(payload, OrderCancelled | OrderRejected):
            # A rejection after the reservation (the payment declined, or never answered)
            # releases it like a cancellation; after our own StockRejected there is nothing
            # held, and the answer is the same StockReleased (once per event, idempotent).
            await self._run(
                self._use_cases.release,
                ReleaseStock(event_id=envelope.id, order_id=payload.order_id),
            )
        # OrderConfirmed, PaymentRequested, OrderShipped and OrderDelivered ask nothing of
        # the catalog.

    async def _run(self, use_case: Callable[[C], Awaitable[None]], command: C) -> None:
        try:
            await use_case(command)
        except InvalidInput as error:
            # A rule the use case cannot answer for: no retry can help, dead-letter it.
            raise PermanentError(error.message) from error
