"""The Product aggregate: limits, edits by the seller only, reserve and release."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.product.bootstrap import new_product_id
from commerce.product.domain.errors import NotTheSeller, OutOfStock
from commerce.product.domain.events import ProductCreated, ProductUpdated, ReservedLine
from commerce.product.domain.product import Product, ProductChanges

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
EDITED = datetime(2026, 1, 2, tzinfo=UTC)


def a_product(**overrides: object) -> Product:
    fields: dict = {
        "product_id": new_product_id(),
        "now": CREATED,
        "seller_id": "seller-1",
        "name": "Kimchi",
        "price": 12_000,
        "stock": 5,
    }
    fields.update(overrides)
    return Product.create(**fields)


def test_create_records_product_created_with_its_public_fields() -> None:
    product = a_product(name="  Kimchi  ", sku="KIM-1")
    assert product.name == "Kimchi"
    assert product.created_at == product.updated_at
    [event] = product.pull_events()
    assert event == ProductCreated(
        product_id=product.id,
        seller_id="seller-1",
        name="Kimchi",
        price=12_000,
        stock=5,
        occurred_at=event.occurred_at,
    )


def test_the_product_has_the_id_and_time_it_was_given() -> None:
    product = a_product(product_id="p-1")
    assert (product.id, product.created_at, product.updated_at) == ("p-1", CREATED, CREATED)


def test_ids_are_unique() -> None:
    assert new_product_id() != new_product_id()


@pytest.mark.parametrize("price", [1, 10**9])
def test_price_bounds_are_inclusive(price: int) -> None:
    assert a_product(price=price).price == price


@pytest.mark.parametrize("price", [0, -1, 10**9 + 1, True, 1.5])
def test_price_outside_1_to_a_billion_is_refused(price: object) -> None:
    with pytest.raises(InvalidInput):
        a_product(price=price)


@pytest.mark.parametrize("stock", [0, 10**7])
def test_stock_bounds_are_inclusive(stock: int) -> None:
    assert a_product(stock=stock).stock == stock


@pytest.mark.parametrize("stock", [-1, 10**7 + 1, False])
def test_stock_outside_0_to_ten_million_is_refused(stock: object) -> None:
    with pytest.raises(InvalidInput):
        a_product(stock=stock)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_name_needs_1_to_200_characters(name: str) -> None:
    with pytest.raises(InvalidInput):
        a_product(name=name)


def test_name_of_200_characters_is_fine() -> None:
    assert len(a_product(name="가" * 200).name) == 200


def test_only_the_seller_may_edit() -> None:
    product = a_product()
    with pytest.raises(NotTheSeller):
        product.edit(ProductChanges(price=1), by="someone-else", now=EDITED)
    assert product.price == 12_000


def test_edit_changes_only_what_differs_and_records_one_update() -> None:
    product = a_product()
    product.pull_events()
    changed = product.edit(
        ProductChanges(name="Kimchi", price=9_900, stock=7), by="seller-1", now=EDITED
    )
    assert changed == {"price", "stock"}
    assert (product.price, product.stock) == (9_900, 7)
    assert (product.created_at, product.updated_at) == (CREATED, EDITED)
    [event] = product.pull_events()
    assert isinstance(event, ProductUpdated)
    assert (event.name, event.price, event.stock) == ("Kimchi", 9_900, 7)


def test_edit_that_changes_nothing_records_nothing() -> None:
    product = a_product()
    product.pull_events()
    assert product.edit(ProductChanges(price=12_000), by="seller-1", now=EDITED) == frozenset()
    assert product.pull_events() == []


def test_an_invalid_field_leaves_the_product_untouched() -> None:
    product = a_product()
    with pytest.raises(InvalidInput):
        product.edit(ProductChanges(name="New name", price=0), by="seller-1", now=EDITED)
    assert (product.name, product.price) == ("Kimchi", 12_000)


def test_reserve_takes_units_at_todays_price() -> None:
    product = a_product(stock=5)
    assert product.reserve(5) == ReservedLine(product.id, 5, 12_000)
    assert product.stock == 0


def test_reserve_more_than_available_raises_out_of_stock_and_keeps_stock() -> None:
    product = a_product(stock=2)
    with pytest.raises(OutOfStock) as raised:
        product.reserve(3)
    assert (raised.value.requested, raised.value.available) == (3, 2)
    assert product.stock == 2


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(quantity: int) -> None:
    with pytest.raises(InvalidInput):
        a_product().reserve(quantity)


def test_release_gives_units_back() -> None:
    product = a_product(stock=1)
    product.reserve(1)
    product.release(1)
    assert product.stock == 1


def test_line_amount_is_quantity_times_unit_price() -> None:
    # Money is whole KRW: large amounts stay exact integers.
    assert ReservedLine("p", 1000, 10**9).amount == 10**12
