"""Request and response bodies of the ordering API (pydantic stays in this adapter)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from commerce.kernel.http.schemas import (
    WRITTEN_AS_AN_INTEGER,
    Printable,
    RequestBody,
    UtcTimestamp,
)
from commerce.order.application.views import OrderView
from commerce.order.domain.lines import MAX_LINES, MAX_QUANTITY
from commerce.order.domain.order import OrderStatus
from commerce.order.domain.payment import TOKEN_PATTERN, PaymentStatus
from commerce.order.domain.shipment import MAX_SHIPMENT_TEXT

# strict: "2", 2.0 and true are not quantities (wrong types are 422, never coerced).
Quantity = Annotated[
    int, Field(strict=True, ge=1, le=MAX_QUANTITY, description=WRITTEN_AS_AN_INTEGER)
]
ProductId = Annotated[str, StringConstraints(min_length=1, max_length=64), Printable]
# RFC 9110 field value characters, no control characters; 1..255 of them.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"


class NewOrderLine(RequestBody):
    product_id: ProductId
    quantity: Quantity


class CardPayment(RequestBody):
    """Pay by card with the provider's token (card numbers never enter the platform)."""

    method: Literal["card"]
    token: Annotated[
        str,
        Field(
            pattern=TOKEN_PATTERN,
            description="The provider's card token: tok_ and 1 to 40 of a-z, 0-9, _. The "
            "simulated provider's test tokens: tok_visa, tok_declined, "
            "tok_insufficient_funds, tok_unavailable, tok_flaky.",
        ),
    ]


class InvoicePayment(RequestBody):
    """Pay later: always authorized (the default when the order names no payment)."""

    method: Literal["invoice"]


Payment = Annotated[CardPayment | InvoicePayment, Field(discriminator="method")]


class NewOrder(RequestBody):
    """What to buy and how to pay. Prices are never the client's: the catalog sets them on
    reservation, and the amount to pay is the catalog's total."""

    # uniqueItems says part of the rule below; "unique by product_id" has no JSON Schema word.
    items: list[NewOrderLine] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="Each product on one line at most.",
        json_schema_extra={"uniqueItems": True},
    )
    payment: Payment | None = Field(
        default=None, description="How the order is paid; an invoice when absent."
    )

    @field_validator("items")
    @classmethod
    def _each_product_once(cls, items: list[NewOrderLine]) -> list[NewOrderLine]:
        if len({item.product_id for item in items}) != len(items):
            raise ValueError("each product may appear on one line only")
        return items


ShipmentText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_SHIPMENT_TEXT), Printable
]


class NewShipment(RequestBody):
    """Who carries the order, and its tracking number there."""

    carrier: ShipmentText
    tracking_number: ShipmentText


class OrderLineOut(BaseModel):
    product_id: str
    quantity: int
    unit_price: int | None = Field(description="KRW; null until the catalog priced the order.")


class PaymentOut(BaseModel):
    method: Literal["card", "invoice"]
    status: PaymentStatus = Field(
        description="PENDING until the payment service answers; then AUTHORIZED or DECLINED, "
        "later CAPTURED (shipped), VOIDED (cancelled or rejected) or REFUNDED."
    )


class ShipmentOut(BaseModel):
    carrier: str
    tracking_number: str
    shipped_at: UtcTimestamp
    delivered_at: UtcTimestamp | None = Field(description="null until delivered.")


class OrderOut(BaseModel):
    id: str
    user_id: str
    status: OrderStatus
    items: list[OrderLineOut]
    total: int | None = Field(description="KRW; null until the catalog priced the order.")
    reason: str | None = Field(
        description="Why the order was rejected: OUT_OF_STOCK, PRODUCT_NOT_FOUND, "
        "PAYMENT_DECLINED, PAYMENT_UNAVAILABLE, ..."
    )
    payment: PaymentOut
    shipment: ShipmentOut | None = Field(description="null until the order ships.")
    created_at: UtcTimestamp
    updated_at: UtcTimestamp

    @classmethod
    def of(cls, view: OrderView) -> OrderOut:
        return cls(
            id=view.id,
            user_id=view.user_id,
            status=OrderStatus(view.status),
            items=[
                OrderLineOut(
                    product_id=item.product_id, quantity=item.quantity, unit_price=item.unit_price
                )
                for item in view.items
            ],
            total=view.total,
            reason=view.reason,
            payment=PaymentOut(
                method="card" if view.payment.method == "card" else "invoice",
                status=PaymentStatus(view.payment.status),
            ),
            shipment=None
            if view.shipment is None
            else ShipmentOut(
                carrier=view.shipment.carrier,
                tracking_number=view.shipment.tracking_number,
                shipped_at=view.shipment.shipped_at,
                delivered_at=view.shipment.delivered_at,
            ),
            created_at=view.created_at,
            updated_at=view.updated_at,
        )
