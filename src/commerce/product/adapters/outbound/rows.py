"""Products to rows of ``products`` and back: one mapping for the repository and the queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from commerce.product.domain.product import Product

# What a product is made of, in the table and in ``Product`` and ``ProductView`` alike.
PRODUCT_FIELDS = (
    "id",
    "seller_id",
    "name",
    "description",
    "price",
    "stock",
    "sku",
    "created_at",
    "updated_at",
)


def product_row(product: Product) -> dict[str, Any]:
    """The row of a product, with the table's own ``search_name``."""
    row = {field: getattr(product, field) for field in PRODUCT_FIELDS}
    row["search_name"] = product.name.casefold()
    return row


def product_fields(row: Row[Any]) -> dict[str, Any]:
    """A row as keyword arguments: ``Product(**fields)`` to change it, ``ProductView(**fields)``
    to show it."""
    return {field: getattr(row, field) for field in PRODUCT_FIELDS}
