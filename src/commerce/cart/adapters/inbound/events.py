"""The consumer group ``cart`` on ``commerce.catalog.events`` and ``commerce.order.events``.

Catalog events keep the view current (each applied once: the inbox). Of the order events only
``OrderConfirmed`` matters: it settles the checkout of an order placed from a cart, once (the
checkout's own state, atomic with the cart's change, docs/adr/0122). ``OrderRejected`` and
``OrderCancelled`` leave the cart as it was, so they, like every other type, are skipped.
"""

from __future__ import annotations

import logging

from commerce.cart.application.use_cases import CartUseCases
from commerce.cart.domain.catalog import CatalogEntry
from commerce.contracts.catalog import ProductCreated, ProductUpdated, StockReleased, StockReserved
from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.ordering import OrderConfirmed

log = logging.getLogger("commerce.cart.events")
HANDLED = frozenset(
    {
        ProductCreated.event_type,
        ProductUpdated.event_type,
        StockReserved.event_type,
        StockReleased.event_type,
        OrderConfirmed.event_type,
    }
)


class CartEventsHandler:
    """``EventHandler`` for both topics of the group ``cart``."""

    def __init__(self, use_cases: CartUseCases) -> None:
        self._use_cases = use_cases

    async def __call__(self, envelope: EventEnvelope) -> None:
        if envelope.type not in HANDLED:
            return  # StockRejected, OrderPlaced, OrderRejected, ... and types newer than us
        payload = parse_payload(envelope)  # a malformed event raises: retried, then parked
        catalog = self._use_cases.catalog
        if isinstance(payload, ProductCreated | ProductUpdated):
            entry = CatalogEntry(payload.product_id, payload.name, payload.price, payload.stock)
            await catalog.product_changed(envelope.id, entry)
        elif isinstance(payload, StockReserved):
            lines = [(line.product_id, line.quantity) for line in payload.items]
            await catalog.reserved(envelope.id, payload.order_id, lines)
        elif isinstance(payload, StockReleased):
            await catalog.released(envelope.id, payload.order_id)
        elif isinstance(payload, OrderConfirmed) and await self._use_cases.settle(payload.order_id):
            log.info("order %s confirmed: its lines left the cart", payload.order_id)
