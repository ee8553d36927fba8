"""Request and response bodies of the catalog API (pydantic stays in this adapter)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from commerce.kernel.http.schemas import (
    WRITTEN_AS_AN_INTEGER,
    Printable,
    PrintableText,
    RequestBody,
    SchemaPattern,
    UtcTimestamp,
)
from commerce.kernel.http.text_patterns import UNICODE_WHITESPACE, trimmed, trimmed_printable
from commerce.product.application.queries import ProductView
from commerce.product.domain import limits
from commerce.product.domain.product import Product, ProductChanges

# strict: "100", 100.0 and true are not prices (wrong types are 422, never coerced).
Price = Annotated[
    int,
    Field(strict=True, ge=limits.MIN_PRICE, le=limits.MAX_PRICE, description=WRITTEN_AS_AN_INTEGER),
]
Stock = Annotated[
    int,
    Field(strict=True, ge=limits.MIN_STOCK, le=limits.MAX_STOCK, description=WRITTEN_AS_AN_INTEGER),
]
# Surrounding blanks are stripped first; what remains is 1..200 printable characters.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MAX_NAME_LENGTH),
    PrintableText(
        trimmed_printable(UNICODE_WHITESPACE, limits.MAX_NAME_LENGTH), bounds_trimmed_length=True
    ),
]
# One paragraph of text, like every text field (no line breaks: docs/adr/0100).
Description = Annotated[str, StringConstraints(max_length=limits.MAX_DESCRIPTION_LENGTH), Printable]
Sku = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=limits.MAX_SKU_LENGTH,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$",
    ),
    # The document states the same rule for the text before its blanks are stripped.
    SchemaPattern(
        trimmed(
            rf"[A-Za-z0-9][A-Za-z0-9._\-]{{0,{limits.MAX_SKU_LENGTH - 1}}}", UNICODE_WHITESPACE
        ),
        bounds_trimmed_length=True,
    ),
]


class NewProduct(RequestBody):
    """A product to sell; the seller is the caller, the id is the server's."""

    name: Name
    description: Description = ""
    price: Price
    stock: Stock
    sku: Sku | None = None


def _at_least_one_field_none_null(schema: dict[str, Any]) -> None:
    """The document says what the validators below enforce: at least one field is sent, and
    none is null (absent means unchanged), so no field has a default either."""
    schema["minProperties"] = 1
    for field in schema["properties"].values():
        field.pop("default", None)


class ProductEdit(RequestBody):
    """Any of the editable fields; at least one, none of them null."""

    model_config = ConfigDict(json_schema_extra=_at_least_one_field_none_null)

    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    price: Price | SkipJsonSchema[None] = None
    stock: Stock | SkipJsonSchema[None] = None

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
