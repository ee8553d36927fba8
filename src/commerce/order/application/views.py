"""What clients see of an order: the contract's shape, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.order.domain.order import Order


@dataclass(frozen=True)
class OrderLineView:
    product_id: str
    quantity: int
    unit_price: int | None


@dataclass(frozen=True)
class PaymentView:
    method: str
    status: str


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class OrderView:
    id: str
    user_id: str
    status: str
    items: tuple[OrderLineView, ...]
    total: int | None
    reason: str | None
    payment: PaymentView
    shipment: ShipmentView | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls(
            id=order.id,
            user_id=order.user_id,
            status=order.status.value,
            items=tuple(
                OrderLineView(line.product_id, line.quantity, line.unit_price)
                for line in order.lines
            ),
            total=order.total,
            reason=order.reason,
            payment=PaymentView(order.payment.method.value, order.payment_status.value),
            shipment=None
            if order.shipment is None
            else ShipmentView(
                order.shipment.carrier,
                order.shipment.tracking_number,
                order.shipment.shipped_at,
                order.shipment.delivered_at,
            ),
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as read at one moment, with its version: the number that moves on every
    change of the order (its body, its payment, its shipment)."""

    version: int
    order: OrderView


@dataclass(frozen=True)
class OrderPage:
    items: tuple[OrderView, ...]
    next_cursor: str | None
