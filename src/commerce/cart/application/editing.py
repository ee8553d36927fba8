"""The user's own changes to the cart, and reading it."""

from __future__ import annotations

from commerce.cart.application.ports import CartStore, CatalogView, ProductCatalog
from commerce.cart.application.retry import retry_if_changed
from commerce.cart.application.views import CartView, cart_view
from commerce.cart.domain.cart import checked_quantity
from commerce.kernel.domain import NotFound
from commerce.kernel.ports import Clock


class UnknownProduct(NotFound):
    code = "product_not_found"

    def __init__(self, product_id: str) -> None:
        super().__init__(f"The catalog has no product {product_id}.")


class ReadCart:
    """The user's cart as the catalog view shows it."""

    def __init__(self, store: CartStore, view: CatalogView) -> None:
        self._store, self._view = store, view

    async def __call__(self, user_id: str) -> CartView:
        return await cart_view(await self._store.load(user_id), self._view)


class SetQuantity:
    """Put a product in the cart at a quantity. A product the view has not seen yet is looked
    up in the catalog once and seeded into the view (docs/adr/0121)."""

    def __init__(
        self, store: CartStore, view: CatalogView, catalog: ProductCatalog, clock: Clock
    ) -> None:
        self._store, self._view, self._catalog, self._clock = store, view, catalog, clock

    async def __call__(self, user_id: str, product_id: str, quantity: int) -> CartView:
        checked_quantity(quantity)
        if not await self._view.entries([product_id]):
            entry = await self._catalog.product(product_id)
            if entry is None:
                raise UnknownProduct(product_id)
            await self._view.seed(entry)

        async def attempt() -> CartView:
            cart = await self._store.load(user_id)
            cart.set_quantity(product_id, quantity, self._clock())
            if cart.changed:
                await self._store.save(cart)
            return await cart_view(cart, self._view)

        return await retry_if_changed(attempt)


class RemoveLine:
    """Take a product out of the cart (nothing to do when it is not there)."""

    def __init__(self, store: CartStore, view: CatalogView, clock: Clock) -> None:
        self._store, self._view, self._clock = store, view, clock

    async def __call__(self, user_id: str, product_id: str) -> CartView:
        async def attempt() -> CartView:
            cart = await self._store.load(user_id)
            cart.remove(product_id, self._clock())
            if cart.changed:
                await self._store.save(cart)
            return await cart_view(cart, self._view)

        return await retry_if_changed(attempt)


class ClearCart:
    def __init__(self, store: CartStore) -> None:
        self._store = store

    async def __call__(self, user_id: str) -> None:
        await self._store.delete(user_id)
