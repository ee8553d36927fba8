"""Events the order service publishes on ``commerce.order.events``, keyed by ``order_id``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from commerce.contracts.envelope import EventPayload


class OrderLine(BaseModel):
    """One line of an order as the customer asked for it (no price: the catalog decides)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class _OrderEvent(EventPayload):
    order_id: str = Field(min_length=1)

    @property
    def partition_key(self) -> str:
        return self.order_id


class OrderPlaced(_OrderEvent):
    """A customer placed an order; the catalog should reserve every line or none."""

    event_type: ClassVar[str] = "OrderPlaced"

    user_id: str = Field(min_length=1)
    items: list[OrderLine] = Field(min_length=1)


class OrderConfirmed(_OrderEvent):
    """The order's stock was reserved and it is confirmed at ``total`` KRW."""

    event_type: ClassVar[str] = "OrderConfirmed"

    total: int = Field(ge=0)


class OrderRejected(_OrderEvent):
    """The order was rejected (``reason`` as in the public API, e.g. ``OUT_OF_STOCK``). After
    a declined payment the catalog releases the order's reservation on this event."""

    event_type: ClassVar[str] = "OrderRejected"

    reason: str


class OrderCancelled(_OrderEvent):
    """The customer cancelled the order; the catalog releases any reservation, the payment
    service voids any authorization (or refunds a capture)."""

    event_type: ClassVar[str] = "OrderCancelled"


PaymentMethod = Literal["card", "invoice"]


class PaymentRequested(_OrderEvent):
    """The order's stock is reserved: authorize ``amount`` KRW (the catalog's total, never a
    client's number) with ``method``; ``token`` is the provider's card token for ``card``."""

    event_type: ClassVar[str] = "PaymentRequested"

    user_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
    method: PaymentMethod
    token: str | None = Field(default=None, min_length=1, max_length=64)


class OrderShipped(_OrderEvent):
    """Staff handed the order to a carrier; its payment is captured now."""

    event_type: ClassVar[str] = "OrderShipped"

    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)


class OrderDelivered(_OrderEvent):
    """The carrier delivered the order (final)."""

    event_type: ClassVar[str] = "OrderDelivered"
