"""The catalog view's rules, as the domain states them."""

from __future__ import annotations

from commerce.cart.domain.catalog import (
    CatalogEntry,
    cart_total,
    is_available,
    reservation_per_product,
)

ENTRY = CatalogEntry("p", "Pen", 1_500, 3)


def test_a_line_is_available_while_the_stock_covers_its_quantity() -> None:
    assert is_available(ENTRY, 3)
    assert not is_available(ENTRY, 4)


def test_a_product_the_catalog_does_not_know_is_not_available() -> None:
    assert not is_available(None, 1)


def test_a_reservation_counts_each_product_once() -> None:
    assert reservation_per_product([("a", 1), ("b", 2), ("a", 3)]) == {"a": 4, "b": 2}


def test_the_total_is_at_the_catalogs_prices_and_skips_unknown_products() -> None:
    entries = {"p": ENTRY, "q": CatalogEntry("q", "Ink", 200, 0)}
    assert cart_total({"p": 2, "q": 1, "unknown": 5}, entries) == 3_200
