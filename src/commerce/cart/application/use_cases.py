"""Everything the inbound adapters may call, wired once by the bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.cart.application.catalog_view import UpdateCatalogView
from commerce.cart.application.checkout import CheckOut, SettleCheckout
from commerce.cart.application.editing import ClearCart, ReadCart, RemoveLine, SetQuantity


@dataclass(frozen=True)
class CartUseCases:
    read: ReadCart
    set_quantity: SetQuantity
    remove: RemoveLine
    clear: ClearCart
    check_out: CheckOut
    settle: SettleCheckout
    catalog: UpdateCatalogView
