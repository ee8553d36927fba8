"""The order's domain events in the published language (``commerce.contracts.ordering``)."""

from __future__ import annotations

from commerce.contracts import ordering
from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.kernel.domain import DomainEvent
from commerce.order.domain import events

SOURCE = "order"


def integration_event(event: DomainEvent) -> EventPayload:
    match event:
        case events.OrderPlaced():
            return ordering.OrderPlaced(
                order_id=event.order_id,
                user_id=event.user_id,
                items=[
                    ordering.OrderLine(product_id=line.product_id, quantity=line.quantity)
                    for line in event.lines
                ],
            )
        case events.OrderConfirmed():
            return ordering.OrderConfirmed(order_id=event.order_id, total=event.total)
        case events.OrderRejected():
            return ordering.OrderRejected(order_id=event.order_id, reason=event.reason)
        case events.OrderCancelled():
            return ordering.OrderCancelled(order_id=event.order_id)
        case events.PaymentRequested():
            method: ordering.PaymentMethod = "card" if event.method == "card" else "invoice"
            return ordering.PaymentRequested(
                order_id=event.order_id,
                user_id=event.user_id,
                amount=event.amount,
                method=method,
                token=event.token,
            )
        case events.OrderShipped():
            return ordering.OrderShipped(
                order_id=event.order_id,
                carrier=event.carrier,
                tracking_number=event.tracking_number,
            )
        case events.OrderDelivered():
            return ordering.OrderDelivered(order_id=event.order_id)
    raise TypeError(f"no integration event for {type(event).__name__}")


def envelope_of(event: DomainEvent) -> EventEnvelope:
    """A new envelope (fresh event id) each time: a re-driven request is a new message."""
    return EventEnvelope.wrap(integration_event(event), SOURCE, occurred_at=event.occurred_at)
