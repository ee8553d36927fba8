"""Events the product service publishes on ``commerce.catalog.events``.

Reservation events are keyed by ``order_id`` (so they stay in order with that order's events);
product events by ``product_id``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from commerce.contracts.envelope import EventPayload

# INVALID_ORDER: the OrderPlaced named an order but no usable lines (none, bad quantities).
StockRejectionReason = Literal["OUT_OF_STOCK", "PRODUCT_NOT_FOUND", "INVALID_ORDER"]


class PricedLine(BaseModel):
    """An order line with the catalog's unit price (KRW) at the moment of reservation."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: str = Field(min_length=1)
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)


class _ReservationEvent(EventPayload):
    order_id: str = Field(min_length=1)

    @property
    def partition_key(self) -> str:
        return self.order_id


class StockReserved(_ReservationEvent):
    """Every line of the order is reserved, at these prices."""

    event_type: ClassVar[str] = "StockReserved"

    items: list[PricedLine] = Field(min_length=1)


class StockRejected(_ReservationEvent):
    """Nothing was reserved; ``product_ids`` are the lines that could not be served."""

    event_type: ClassVar[str] = "StockRejected"

    reason: StockRejectionReason
    product_ids: list[str] = Field(default_factory=list)


class StockReleased(_ReservationEvent):
    """The order's reservation (if any) went back to stock."""

    event_type: ClassVar[str] = "StockReleased"


class _ProductEvent(EventPayload):
    product_id: str = Field(min_length=1)

    @property
    def partition_key(self) -> str:
        return self.product_id


class ProductCreated(_ProductEvent):
    """A seller listed a new product."""

    event_type: ClassVar[str] = "ProductCreated"

    seller_id: str
    name: str
    price: int = Field(ge=0)
    stock: int = Field(ge=0)


class ProductUpdated(_ProductEvent):
    """A product's public fields changed; carries their new values."""

    event_type: ClassVar[str] = "ProductUpdated"

    name: str
    price: int = Field(ge=0)
    stock: int = Field(ge=0)
