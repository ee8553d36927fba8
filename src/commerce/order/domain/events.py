"""Domain events the Order aggregate raises; the outbox turns them into integration events."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.kernel.domain import DomainEvent


@dataclass(frozen=True, kw_only=True)
class RequestedLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """The catalog is asked to reserve every line (raised again by each re-drive)."""

    order_id: str
    user_id: str
    lines: tuple[RequestedLine, ...]


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(DomainEvent):
    """Every line is reserved and the payment authorized; ``total`` is the catalog's sum."""

    order_id: str
    total: int


@dataclass(frozen=True, kw_only=True)
class OrderRejected(DomainEvent):
    """The order ends unfulfilled; ``reason`` is the code (``OUT_OF_STOCK``,
    ``PAYMENT_DECLINED``, ...). After a reservation the catalog releases it on this event, and
    the payment service voids any authorization (raised again while the release is awaited)."""

    order_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    """The catalog must release whatever it holds for this order (idempotent on its side); the
    payment service voids any authorization."""

    order_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentRequested(DomainEvent):
    """The stock is reserved: the payment service is asked to authorize ``amount`` (the
    catalog's total) with the customer's method (raised again by each re-drive)."""

    order_id: str
    user_id: str
    amount: int
    method: str
    token: str | None


@dataclass(frozen=True, kw_only=True)
class OrderShipped(DomainEvent):
    """Staff handed the order to a carrier; the payment service captures."""

    order_id: str
    carrier: str
    tracking_number: str


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(DomainEvent):
    """The carrier delivered the order."""

    order_id: str
