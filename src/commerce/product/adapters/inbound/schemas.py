"""Request and response bodies of the catalog API (pydantic stays in this adapter)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from commerce.kernel.http.schemas import Printable, RequestBody, UtcTimestamp
from commerce.product.application.queries import ProductView
from commerce.product.domain import limits
from commerce.product.domain.product import Product, ProductChanges

# strict: "100", 100.0 and true are not prices (wrong types are 422, never coerced).
Price = Annotated[int, Field(strict=True, ge=limits.MIN_PRICE, le=limits.MAX_PRICE)]
Stock = Annotated[int, Field(strict=True, ge=limits.MIN_STOCK, le=limits.MAX_STOCK)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MAX_NAME_LENGTH),
    Printable,
]
# One paragraph of text, like every text field (no line breaks: docs/adr/0039).
Description = Annotated[str, StringConstraints(max_length=limits.MAX_DESCRIPTION_LENGTH), Printable]
Sku = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=limits.MAX_SKU_LENGTH,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$",
    ),
]


class NewProduct(RequestBody):
    """A product to sell; the seller is the caller, the id is the server's."""

    name: Name
    description: Description = ""
    price: Price
    stock: Stock
    sku: Sku | None = None


class ProductEdit(RequestBody):
    """Any of the editable fields; at least one, none of them null."""

    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = None

    @field_validator("name", "description", "price", "stock")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only runs for fields the client sent: an explicit null is refused, absent is fine.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, description, price, stock")
        return self

    def changes(self) -> ProductChanges:
        return ProductChanges(
            name=self.name, description=self.description, price=self.price, stock=self.stock
        )


class ProductOut(BaseModel):
    id: str
    seller_id: str
    name: str
    description: str
    price: int
    stock: int = Field(description="Units available to new orders (reserved ones excluded).")
    sku: str | None
    created_at: UtcTimestamp
    updated_at: UtcTimestamp

    @classmethod
    def of(cls, product: Product | ProductView) -> ProductOut:
        return cls(
            id=product.id,
            seller_id=product.seller_id,
            name=product.name,
            description=product.description,
            price=product.price,
            stock=product.stock,
            sku=product.sku,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )
