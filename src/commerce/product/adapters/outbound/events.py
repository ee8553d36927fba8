"""Domain events -> integration events of ``commerce.catalog.events`` (the published language)."""

from __future__ import annotations

from commerce.contracts import catalog as contract
from commerce.contracts.envelope import EventPayload
from commerce.kernel.domain import DomainEvent
from commerce.product.domain import events


def integration_event(event: DomainEvent) -> EventPayload:
    """The contract's event for ``event``; every catalog event has one."""
    match event:
        case events.StockReserved(order_id=order_id, lines=lines):
            return contract.StockReserved(
                order_id=order_id,
                items=[
                    contract.PricedLine(
                        product_id=line.product_id,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                    )
                    for line in lines
                ],
            )
        case events.StockRejected(order_id=order_id, reason=reason, product_ids=product_ids):
            return contract.StockRejected(
                order_id=order_id, reason=reason.value, product_ids=list(product_ids)
            )
        case events.StockReleased(order_id=order_id):
            return contract.StockReleased(order_id=order_id)
        case events.ProductCreated():
            return contract.ProductCreated(
                product_id=event.product_id,
                seller_id=event.seller_id,
                name=event.name,
                price=event.price,
                stock=event.stock,
            )
        case events.ProductUpdated():
            return contract.ProductUpdated(
                product_id=event.product_id, name=event.name, price=event.price, stock=event.stock
            )
    raise TypeError(f"no integration event for {type(event).__name__}")
