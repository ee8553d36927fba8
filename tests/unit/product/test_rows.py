"""One mapping between ``products`` rows and the catalog's objects, for writes and reads."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime
from types import SimpleNamespace

from commerce.product.adapters.outbound.rows import PRODUCT_FIELDS, product_fields, product_row
from commerce.product.adapters.outbound.tables import products
from commerce.product.application.queries import ProductView
from commerce.product.domain.product import Product

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_fields_are_the_tables_columns_and_both_objects_parameters() -> None:
    assert set(products.c.keys()) == {*PRODUCT_FIELDS, "search_name"}
    assert {f.name for f in dataclasses.fields(ProductView)} == set(PRODUCT_FIELDS)
    assert set(inspect.signature(Product.__init__).parameters) - {"self"} == set(PRODUCT_FIELDS)


def test_a_product_goes_to_a_row_and_comes_back_the_same_as_product_and_as_view() -> None:
    product = Product(
        id="p-1",
        seller_id="s-1",
        name="Green TEA",
        description="d",
        price=700,
        stock=3,
        sku=None,
        created_at=T0,
        updated_at=T0,
    )
    row = product_row(product)
    assert row["search_name"] == "green tea"
    fields = product_fields(SimpleNamespace(**row))  # type: ignore[arg-type]
    back = Product(**fields)
    assert vars(back) | {"_events": None} == vars(product) | {"_events": None}
    assert ProductView(**fields) == ProductView(
        "p-1", "s-1", "Green TEA", "d", 700, 3, None, T0, T0
    )
