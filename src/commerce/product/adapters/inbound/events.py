"""The catalog's side of the ordering saga: order events in, use cases called.

The kernel's consumer runner delivers each message of ``commerce.order.events`` here and
commits its offset only after we return; raising makes it retry and, in the end, park the
message in the dead-letter topic. An ``OrderPlaced`` that names an order but no usable lines
is answered (``StockRejected``, ``INVALID_ORDER``) rather than parked, so that the order ends;
only what names no order at all is dead-lettered.

Lock conflicts between concurrent transactions (a MariaDB deadlock or lock wait timeout,
SQLite's busy database, two answers racing for one order) are expected under load, so they
are retried here first, each time in a fresh transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from commerce.contracts.envelope import EventEnvelope, UnknownEvent, parse_payload
from commerce.contracts.ordering import OrderCancelled, OrderPlaced
from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.batching import in_shared_transaction
from commerce.kernel.domain import InvalidInput
from commerce.kernel.messaging.processing import PermanentError
from commerce.product.application.commands import ReleaseStock, ReserveStock
from commerce.product.application.errors import StockChanged
from commerce.product.application.ports import ProductUnitOfWork
from commerce.product.application.stock import release_stock, reserve_stock
from commerce.product.domain.reservation import MAX_ORDER_ID_LENGTH

log = logging.getLogger("commerce.product.events")
# MySQL/MariaDB: 1205 lock wait timeout exceeded, 1213 deadlock found (transaction rolled back).
TRANSIENT_MYSQL_ERRORS = frozenset({1205, 1213})
MAX_BACKOFF = 0.5  # seconds; lock conflicts clear in milliseconds
C = TypeVar("C", ReserveStock, ReleaseStock)


def is_transient(error: BaseException) -> bool:
    """True for failures that a fresh transaction can succeed after."""
    if isinstance(error, StockChanged | IntegrityError):
        # IntegrityError: another transaction recorded this order's answer first; the retry
        # reads that answer and repeats it.
        return True
    if isinstance(error, OperationalError):
        args = getattr(error.orig, "args", ())
        if args and args[0] in TRANSIENT_MYSQL_ERRORS:
            return True
        return "database is locked" in str(error.orig)
    return False


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
    """``EventHandler`` for the consumer group ``product`` on ``commerce.order.events``."""

    def __init__(
        self,
        new_uow: Callable[[], ProductUnitOfWork],
        *,
        attempts: int = 8,
        backoff_seconds: float = 0.02,
    ) -> None:
        self._new_uow = new_uow
        self._attempts = attempts
        self._backoff = backoff_seconds

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
            await self._run(reserve_stock, command)
            return
        if isinstance(payload, OrderPlaced):
            lines = tuple((item.product_id, item.quantity) for item in payload.items)
            command = ReserveStock(event_id=envelope.id, order_id=payload.order_id, lines=lines)
            await self._run(reserve_stock, command)
        elif isinstance(payload, OrderCancelled):
            await self._run(
                release_stock, ReleaseStock(event_id=envelope.id, order_id=payload.order_id)
            )
        # OrderConfirmed and OrderRejected ask nothing of the catalog.

    async def _run(
        self, use_case: Callable[[ProductUnitOfWork, C], Awaitable[None]], command: C
    ) -> None:
        # Inside a batch's shared transaction, one attempt: a retry there would keep the failed
        # attempt's writes; the batch is undone instead and this runs again on its own.
        attempts = 1 if in_shared_transaction() else self._attempts
        for attempt in range(1, attempts + 1):
            try:
                await use_case(self._new_uow(), command)
                return
            except InvalidInput as error:
                # A rule the use case cannot answer for: no retry can help, dead-letter it.
                raise PermanentError(error.message) from error
            except Exception as error:
                if attempt == attempts or not is_transient(error):
                    raise
                log.info(
                    "retrying %s for order %s after %s (attempt %d)",
                    type(command).__name__,
                    command.order_id,
                    type(error).__name__,
                    attempt,
                )
                # Jitter keeps colliding transactions from colliding again in lockstep.
                await asyncio.sleep(
                    backoff_seconds(
                        attempt, base=self._backoff, cap=MAX_BACKOFF, jitter=self._backoff
                    )
                )
