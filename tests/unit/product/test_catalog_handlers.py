"""Create and edit use cases with the in-memory unit of work."""

from __future__ import annotations

import pytest

from commerce.product.application.commands import CreateProduct, EditProduct
from commerce.product.domain.errors import DuplicateSku, NotTheSeller, ProductNotFound
from commerce.product.domain.events import ProductCreated, ProductUpdated
from commerce.product.domain.product import ProductChanges
from tests.unit.product.fakes import FakeCatalogStore


async def test_create_stores_the_product_and_emits_product_created() -> None:
    store = FakeCatalogStore()
    product = await store.use_cases().create(CreateProduct("s1", "Tea", 3_000, 10, sku="TEA"))
    assert store.state.products[product.id].name == "Tea"
    [event] = store.published
    assert isinstance(event, ProductCreated)
    assert event.product_id == product.id


async def test_sku_is_unique_per_seller_only() -> None:
    store = FakeCatalogStore()
    await store.use_cases().create(CreateProduct("s1", "Tea", 3_000, 10, sku="TEA"))
    await store.use_cases().create(CreateProduct("s2", "Tea", 3_000, 10, sku="TEA"))
    with pytest.raises(DuplicateSku):
        await store.use_cases().create(CreateProduct("s1", "Other", 1, 1, sku="TEA"))
    assert len(store.state.products) == 2


async def test_edit_by_the_seller_emits_product_updated() -> None:
    store = FakeCatalogStore()
    product = await store.use_cases().create(CreateProduct("s1", "Tea", 3_000, 10))
    edited = await store.use_cases().edit(EditProduct(product.id, "s1", ProductChanges(stock=0)))
    assert edited.stock == 0 == store.stock(product.id)
    assert isinstance(store.published[-1], ProductUpdated)


async def test_edit_by_someone_else_is_forbidden_and_changes_nothing() -> None:
    store = FakeCatalogStore()
    product = await store.use_cases().create(CreateProduct("s1", "Tea", 3_000, 10))
    with pytest.raises(NotTheSeller):
        await store.use_cases().edit(EditProduct(product.id, "s2", ProductChanges(price=1)))
    assert store.state.products[product.id].price == 3_000
    assert len(store.published) == 1


async def test_edit_of_unknown_product_is_not_found() -> None:
    with pytest.raises(ProductNotFound):
        await (
            FakeCatalogStore().use_cases().edit(EditProduct("nope", "s1", ProductChanges(price=1)))
        )


async def test_edit_that_changes_nothing_commits_nothing() -> None:
    store = FakeCatalogStore()
    product = await store.use_cases().create(CreateProduct("s1", "Tea", 3_000, 10))
    commits = store.commits
    await store.use_cases().edit(EditProduct(product.id, "s1", ProductChanges(price=3_000)))
    assert store.commits == commits
