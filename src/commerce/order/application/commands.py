"""What the inbound adapters ask the order service to do."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.order.domain.lines import PricedLine
from commerce.order.domain.payment import PaymentStatus


@dataclass(frozen=True)
class PaymentInput:
    """The request's ``payment`` as the client sent it (checked by the domain)."""

    method: str
    token: str | None = None


@dataclass(frozen=True)
class PlaceOrder:
    user_id: str
    lines: tuple[tuple[str, int], ...]  # (product_id, quantity), as the client sent them
    idempotency_key: str | None = None
    payment: PaymentInput | None = None  # None: the request had none (invoice)


@dataclass(frozen=True)
class CancelOrder:
    user_id: str
    order_id: str


@dataclass(frozen=True)
class ShipOrder:
    """Staff hand an order to a carrier (``staff``: the caller has the STAFF role)."""

    order_id: str
    carrier: str
    tracking_number: str
    staff: bool


@dataclass(frozen=True)
class DeliverOrder:
    """Staff record that the carrier delivered an order."""

    order_id: str
    staff: bool


@dataclass(frozen=True)
class RecordReservation:
    """The catalog's StockReserved for an order."""

    event_id: str
    order_id: str
    lines: tuple[PricedLine, ...]


@dataclass(frozen=True)
class RecordRejection:
    """The catalog's StockRejected for an order."""

    event_id: str
    order_id: str
    reason: str


@dataclass(frozen=True)
class RecordRelease:
    """The catalog's StockReleased for a cancelled order."""

    event_id: str
    order_id: str


@dataclass(frozen=True)
class RecordPayment:
    """What the payment service reported for an order: ``AUTHORIZED``, ``DECLINED`` (with its
    ``reason``), ``CAPTURED``, ``VOIDED`` or ``REFUNDED``."""

    event_id: str
    order_id: str
    status: PaymentStatus
    reason: str | None = None
