"""The catalog's limits, from the public contract.

Money is an integer number of KRW (no minor unit), so prices are plain ``int``.
"""

from __future__ import annotations

from commerce.kernel.domain import InvalidInput

MIN_PRICE = 1
MAX_PRICE = 10**9
MIN_STOCK = 0
MAX_STOCK = 10**7
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_SKU_LENGTH = 64


def _is_int(value: object) -> bool:
    # bool is an int subclass; True is not a price.
    return isinstance(value, int) and not isinstance(value, bool)


def checked_price(price: int) -> int:
    if not _is_int(price) or not MIN_PRICE <= price <= MAX_PRICE:
        raise InvalidInput(
            f"price must be an integer in {MIN_PRICE}..{MAX_PRICE}.", code="invalid_price"
        )
    return price


def checked_stock(stock: int) -> int:
    if not _is_int(stock) or not MIN_STOCK <= stock <= MAX_STOCK:
        raise InvalidInput(
            f"stock must be an integer in {MIN_STOCK}..{MAX_STOCK}.", code="invalid_stock"
        )
    return stock


def checked_quantity(quantity: int) -> int:
    if not _is_int(quantity) or quantity < 1:
        raise InvalidInput("quantity must be a positive integer.", code="invalid_quantity")
    return quantity


def checked_name(name: str) -> str:
    """The name without surrounding blanks; 1..200 characters remain."""
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"name must have 1..{MAX_NAME_LENGTH} characters.", code="invalid_name")
    return cleaned


def checked_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            f"description must have at most {MAX_DESCRIPTION_LENGTH} characters.",
            code="invalid_description",
        )
    return description
