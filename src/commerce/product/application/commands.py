"""What callers ask the catalog to do (HTTP requests and order events alike)."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.product.domain.product import ProductChanges


@dataclass(frozen=True)
class CreateProduct:
    seller_id: str
    name: str
    price: int
    stock: int
    description: str = ""
    sku: str | None = None


@dataclass(frozen=True)
class EditProduct:
    product_id: str
    caller_id: str
    changes: ProductChanges


@dataclass(frozen=True)
class ReserveStock:
    """From ``OrderPlaced``; ``event_id`` deduplicates deliveries, ``order_id`` re-drives."""

    event_id: str
    order_id: str
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReleaseStock:
    """From ``OrderCancelled``, or ``OrderRejected`` (a declined payment releases too)."""

    event_id: str
    order_id: str
