"""What happened in the catalog; the outbox adapter turns these into integration events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commerce.kernel.domain import DomainEvent
from commerce.kernel.money import Money


class RejectionReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    INVALID_ORDER = "INVALID_ORDER"  # the order names no usable lines (none, bad quantities)


@dataclass(frozen=True)
class ReservedLine:
    """One product of a reservation, with the catalog's price at the moment of reserving."""

    product_id: str
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return Money(self.unit_price).times(self.quantity).amount


@dataclass(frozen=True, kw_only=True)
class ProductCreated(DomainEvent):
    product_id: str
    seller_id: str
    name: str
    price: int
    stock: int


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(DomainEvent):
    product_id: str
    name: str
    price: int
    stock: int


@dataclass(frozen=True, kw_only=True)
class StockReserved(DomainEvent):
    """Every line of the order is held; ``lines`` carry the prices the order must use."""

    order_id: str
    lines: tuple[ReservedLine, ...]


@dataclass(frozen=True, kw_only=True)
class StockRejected(DomainEvent):
    """Nothing was reserved for the order; ``product_ids`` are the lines that failed."""

    order_id: str
    reason: RejectionReason
    product_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class StockReleased(DomainEvent):
    """The catalog holds nothing for the order any more (and never will)."""

    order_id: str
