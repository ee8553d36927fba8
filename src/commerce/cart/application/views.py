"""What a cart looks like to its user: lines with the catalog's names and prices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.cart.application.ports import CatalogView
from commerce.cart.domain.cart import Cart
from commerce.cart.domain.catalog import cart_total, is_available


@dataclass(frozen=True)
class CartItemView:
    product_id: str
    name: str | None
    quantity: int
    unit_price: int | None
    available: bool


@dataclass(frozen=True)
class CartView:
    items: tuple[CartItemView, ...]
    total: int
    updated_at: datetime | None


async def cart_view(cart: Cart, catalog: CatalogView) -> CartView:
    """The cart at the view's names, prices and stock; never a call to the catalog."""
    lines = cart.lines
    entries = await catalog.entries(line.product_id for line in lines) if lines else {}
    items = []
    for line in lines:
        entry = entries.get(line.product_id)
        items.append(
            CartItemView(
                product_id=line.product_id,
                name=entry.name if entry else None,
                quantity=line.quantity,
                unit_price=entry.price if entry else None,
                available=is_available(entry, line.quantity),
            )
        )
    total = cart_total({line.product_id: line.quantity for line in lines}, entries)
    return CartView(tuple(items), total, cart.updated_at)
