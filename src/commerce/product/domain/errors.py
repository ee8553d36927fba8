"""Errors the catalog's rules raise; each maps to one HTTP status via its kernel family."""

from __future__ import annotations

from commerce.kernel.domain import Conflict, DomainError, Forbidden, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"

    def __init__(self, product_id: str) -> None:
        super().__init__("No product with this id.")
        self.product_id = product_id


class NotTheSeller(Forbidden):
    code = "not_the_seller"

    def __init__(self) -> None:
        super().__init__("Only the product's seller may change it.")


class DuplicateSku(Conflict):
    code = "duplicate_sku"

    def __init__(self, sku: str) -> None:
        super().__init__("You already sell a product with this sku.")
        self.sku = sku


class OutOfStock(DomainError):
    """Fewer units are available than asked for; never surfaced over HTTP."""

    code = "out_of_stock"

    def __init__(self, product_id: str, requested: int, available: int) -> None:
        super().__init__(f"Product {product_id}: {requested} requested, {available} available.")
        self.product_id = product_id
        self.requested = requested
        self.available = available
