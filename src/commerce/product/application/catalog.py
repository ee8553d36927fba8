"""Use cases of the sellers: create and edit products."""

from __future__ import annotations

from collections.abc import Callable

from commerce.kernel.ports import Clock, IdFactory
from commerce.product.application.commands import CreateProduct, EditProduct
from commerce.product.application.ports import ProductUnitOfWork
from commerce.product.domain.errors import ProductNotFound
from commerce.product.domain.product import Product


class CreateProductHandler:
    """A new product sold by the caller; ProductCreated goes out with it."""

    def __init__(
        self, uow: Callable[[], ProductUnitOfWork], clock: Clock, new_id: IdFactory
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id

    async def __call__(self, command: CreateProduct) -> Product:
        product = Product.create(
            product_id=self._new_id(),
            now=self._clock(),
            seller_id=command.seller_id,
            name=command.name,
            description=command.description,
            price=command.price,
            stock=command.stock,
            sku=command.sku,
        )
        async with self._uow() as uow:
            await uow.products.add(product)
            await uow.commit()
        return product


class EditProductHandler:
    """The seller's edit; ProductUpdated goes out when something really changed."""

    def __init__(self, uow: Callable[[], ProductUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: EditProduct) -> Product:
        async with self._uow() as uow:
            product = await uow.products.get_for_update(command.product_id)
            if product is None:
                raise ProductNotFound(command.product_id)
            changed = product.edit(command.changes, by=command.caller_id, now=self._clock())
            if changed:
                await uow.products.save(product, changed)
                await uow.commit()
        return product
