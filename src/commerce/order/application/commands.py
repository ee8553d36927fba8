"""What the inbound adapters ask the order service to do."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.order.domain.lines import PricedLine


@dataclass(frozen=True)
class PlaceOrder:
    user_id: str
    lines: tuple[tuple[str, int], ...]  # (product_id, quantity), as the client sent them
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CancelOrder:
    user_id: str
    order_id: str


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
