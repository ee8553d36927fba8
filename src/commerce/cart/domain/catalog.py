"""The cart's view of the catalog: names, prices and stock as the catalog's events tell them.

The rules (docs/adr/0121): a product event sets the absolute values; a reservation lowers the
stock, never below 0, and is remembered per order so that its release gives exactly that
back, once; a reservation of a product the view has not seen changes nothing. The view may
lag the catalog: it says what a cart shows, the saga decides what an order gets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogEntry:
    product_id: str
    name: str
    price: int
    stock: int

    def is_available(self, quantity: int) -> bool:
        return self.stock >= quantity


def is_available(entry: CatalogEntry | None, quantity: int) -> bool:
    """A line is available when the catalog knows the product and has its quantity."""
    return entry is not None and entry.is_available(quantity)


def reservation_per_product(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The units of one reservation per product (a product on two lines counts once)."""
    units: dict[str, int] = {}
    for product_id, quantity in lines:
        units[product_id] = units.get(product_id, 0) + quantity
    return units


def cart_total(quantities: Mapping[str, int], entries: Mapping[str, CatalogEntry]) -> int:
    """The sum of the lines at the catalog's prices (lines of unknown products count 0)."""
    return sum(
        quantity * entries[product_id].price
        for product_id, quantity in quantities.items()
        if product_id in entries
    )
