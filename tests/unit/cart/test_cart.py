"""The Cart aggregate: quantities, the 50-line cap, and dropping exactly the ordered lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.cart.domain.cart import MAX_LINES, Cart, CartFull, EmptyCart
from commerce.kernel.domain import InvalidInput

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def cart_with(**lines: int) -> Cart:
    cart = Cart(user_id="u", id="c1")
    for product_id, quantity in lines.items():
        cart.set_quantity(product_id, quantity, NOW)
    return cart


def quantities(cart: Cart) -> dict[str, int]:
    return {line.product_id: line.quantity for line in cart.lines}


def test_set_quantity_replaces_the_line_and_bumps_the_revision() -> None:
    cart = cart_with(a=2)
    cart.set_quantity("a", 5, NOW)
    assert quantities(cart) == {"a": 5}
    assert cart.revision == 2 and cart.updated_at == NOW


def test_setting_the_same_quantity_changes_nothing() -> None:
    cart = cart_with(a=2)
    cart.mark_saved()
    cart.set_quantity("a", 2, NOW)
    assert not cart.changed


@pytest.mark.parametrize("quantity", [0, -1, 1001])
def test_quantities_outside_1_to_1000_are_refused(quantity: int) -> None:
    with pytest.raises(InvalidInput):
        cart_with().set_quantity("a", quantity, NOW)


def test_the_51st_product_is_refused_but_existing_lines_still_change() -> None:
    cart = cart_with(**{f"p{i}": 1 for i in range(MAX_LINES)})
    with pytest.raises(CartFull):
        cart.set_quantity("one-too-many", 1, NOW)
    cart.set_quantity("p0", 7, NOW)
    assert len(cart.lines) == MAX_LINES and quantities(cart)["p0"] == 7


def test_removing_an_absent_line_changes_nothing() -> None:
    cart = cart_with(a=1)
    cart.mark_saved()
    cart.remove("b", NOW)
    assert not cart.changed
    cart.remove("a", NOW)
    assert cart.changed and cart.lines == ()


def test_an_empty_cart_cannot_be_checked_out() -> None:
    with pytest.raises(EmptyCart):
        cart_with().order_lines()


def test_confirmation_drops_the_ordered_lines_and_keeps_lines_added_since() -> None:
    cart = cart_with(a=1, b=2)
    checkout = cart.checkout("o1")
    cart.set_quantity("c", 3, NOW)
    cart.drop_ordered(checkout, NOW)
    assert quantities(cart) == {"c": 3}


def test_a_line_set_again_after_checkout_stays_at_its_new_quantity() -> None:
    cart = cart_with(a=1, b=2)
    checkout = cart.checkout("o1")
    cart.set_quantity("a", 4, NOW)
    cart.drop_ordered(checkout, NOW)
    assert quantities(cart) == {"a": 4}


def test_a_line_removed_and_added_again_after_checkout_stays() -> None:
    cart = cart_with(a=1)
    checkout = cart.checkout("o1")
    cart.remove("a", NOW)
    cart.set_quantity("a", 1, NOW)
    cart.drop_ordered(checkout, NOW)
    assert quantities(cart) == {"a": 1}


def test_a_checkout_of_a_cleared_cart_drops_nothing_of_the_new_one() -> None:
    checkout = cart_with(a=1).checkout("o1")
    new_cart = Cart(user_id="u", id="c2")
    new_cart.set_quantity("a", 1, NOW)
    new_cart.drop_ordered(checkout, NOW)
    assert quantities(new_cart) == {"a": 1}


def test_renewing_a_checkout_changes_the_revision_not_the_lines() -> None:
    cart = cart_with(a=1)
    before = cart.revision
    cart.renew_checkout()
    assert cart.revision == before + 1 and quantities(cart) == {"a": 1}
