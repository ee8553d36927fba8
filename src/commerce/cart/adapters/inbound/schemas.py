"""Request and response bodies of the Cart API (pydantic stays in this adapter)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from commerce.cart.application.views import CartView
from commerce.cart.domain.cart import MAX_QUANTITY
from commerce.kernel.http.schemas import WRITTEN_AS_AN_INTEGER, RequestBody, UtcTimestamp

# Product ids are the catalog's (UUIDs); anything else names no product and is refused.
PRODUCT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# RFC 9110 field value characters, no control characters; 1..255 of them (as for orders).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"


class NewQuantity(RequestBody):
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY, description=WRITTEN_AS_AN_INTEGER)


class CardPayment(RequestBody):
    method: Literal["card"]
    token: str = Field(
        pattern=r"^tok_[a-z0-9_]{1,40}$", description="The payment provider's card token."
    )


class InvoicePayment(RequestBody):
    method: Literal["invoice"]


Payment = Annotated[CardPayment | InvoicePayment, Field(discriminator="method")]


class CheckoutRequest(RequestBody):
    payment: Payment | None = Field(
        default=None, description="As for POST /v1/orders; absent: invoice (pay later)."
    )


class CartItemOut(BaseModel):
    product_id: str
    name: str | None = Field(description="The catalog's; null if the catalog never named it.")
    quantity: int
    unit_price: int | None = Field(description="KRW, the catalog's price as the cart knows it.")
    available: bool = Field(description="False when the product is gone or short of stock.")


class CartOut(BaseModel):
    items: list[CartItemOut]
    total: int = Field(description="KRW: the lines at the catalog's prices.")
    updated_at: UtcTimestamp | None = Field(description="Last change; null for a new cart.")

    @classmethod
    def of(cls, view: CartView) -> CartOut:
        return cls(
            items=[
                CartItemOut(
                    product_id=item.product_id,
                    name=item.name,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    available=item.available,
                )
                for item in view.items
            ],
            total=view.total,
            updated_at=view.updated_at,
        )
