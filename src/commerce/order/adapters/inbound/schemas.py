"""Request and response bodies of the ordering API (pydantic stays in this adapter)."""

from __future__ import annotations

from typing import Annotated

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


class NewOrder(RequestBody):
    """What to buy. Prices are never the client's: the catalog sets them on reservation."""

    # uniqueItems says part of the rule below; "unique by product_id" has no JSON Schema word.
    items: list[NewOrderLine] = Field(
        min_length=1,
        max_length=MAX_LINES,
        description="Each product on one line at most.",
        json_schema_extra={"uniqueItems": True},
    )

    @field_validator("items")
    @classmethod
    def _each_product_once(cls, items: list[NewOrderLine]) -> list[NewOrderLine]:
        if len({item.product_id for item in items}) != len(items):
            raise ValueError("each product may appear on one line only")
        return items


class OrderLineOut(BaseModel):
    product_id: str
    quantity: int
    unit_price: int | None = Field(description="KRW; null until the catalog priced the order.")


class OrderOut(BaseModel):
    id: str
    user_id: str
    status: OrderStatus
    items: list[OrderLineOut]
    total: int | None = Field(description="KRW; null until the catalog priced the order.")
    reason: str | None = Field(description="Why the order was rejected, e.g. OUT_OF_STOCK.")
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
            created_at=view.created_at,
            updated_at=view.updated_at,
        )
