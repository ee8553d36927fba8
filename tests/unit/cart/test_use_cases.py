"""The cart's use cases over fakes: seeding the view, checkout keys, settling a checkout."""

from __future__ import annotations

import pytest

from commerce.cart.application.checkout import CheckOut, CheckOutCommand, SettleCheckout
from commerce.cart.application.editing import ReadCart, SetQuantity, UnknownProduct
from commerce.cart.application.ports import CatalogUnavailable
from commerce.cart.domain.cart import EmptyCart
from commerce.cart.domain.catalog import CatalogEntry
from tests.unit.cart.fakes import (
    FakeCartStore,
    FakeCatalogView,
    FakeClock,
    FakeOrderPlacer,
    FakeProductCatalog,
)

PEN = CatalogEntry("pen", "Pen", 1_500, 10)
INK = CatalogEntry("ink", "Ink", 300, 1)


class World:
    def __init__(self) -> None:
        self.store = FakeCartStore()
        self.view = FakeCatalogView({"pen": PEN, "ink": INK})
        self.catalog = FakeProductCatalog()
        self.orders = FakeOrderPlacer()
        clock = FakeClock()
        self.set_quantity = SetQuantity(self.store, self.view, self.catalog, clock)
        self.read = ReadCart(self.store, self.view)
        self.settle = SettleCheckout(self.store, clock)
        self.check_out = CheckOut(self.store, self.orders, self.settle)

    async def checkout(self, key: str | None = None, payment: dict | None = None) -> str:
        placed = await self.check_out(CheckOutCommand("u", "proof", key, payment))
        return placed.order_id

    async def quantities(self) -> dict[str, int]:
        return {item.product_id: item.quantity for item in (await self.read("u")).items}


@pytest.fixture
def world() -> World:
    return World()


async def test_the_cart_shows_the_views_names_prices_and_availability(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    cart = await world.set_quantity("u", "ink", 2)
    items = {item.product_id: item for item in cart.items}
    assert (items["pen"].name, items["pen"].unit_price, items["pen"].available) == (
        "Pen",
        1_500,
        True,
    )
    assert items["ink"].available is False  # 1 in stock, 2 wanted
    assert cart.total == 2 * 1_500 + 2 * 300
    assert world.catalog.asked == []  # the view knew both


async def test_a_product_new_to_the_view_is_asked_for_once_and_seeded(world: World) -> None:
    world.catalog.products["cup"] = CatalogEntry("cup", "Cup", 900, 4)
    await world.set_quantity("u", "cup", 1)
    await world.set_quantity("u", "cup", 2)
    assert world.catalog.asked == ["cup"]
    assert world.view.entries_by_id["cup"].name == "Cup"


async def test_only_the_catalogs_404_makes_a_product_unknown(world: World) -> None:
    with pytest.raises(UnknownProduct):
        await world.set_quantity("u", "nothing", 1)
    world.catalog.down = True
    with pytest.raises(CatalogUnavailable):
        await world.set_quantity("u", "cup", 1)
    assert await world.quantities() == {}


async def test_checking_out_an_empty_cart_is_refused(world: World) -> None:
    with pytest.raises(EmptyCart):
        await world.checkout()
    assert world.orders.requests == []


async def test_a_keyless_checkout_repeated_finds_the_same_order(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    first = await world.checkout()
    again = await world.checkout()
    assert first == again and len(world.orders.orders) == 1
    request = world.orders.requests[0]
    assert request.idempotency_key.startswith("cart-") and request.proof == "proof"
    assert [(line.product_id, line.quantity) for line in request.lines] == [("pen", 2)]


async def test_the_clients_key_is_sent_as_it_came(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    await world.checkout(key="my-key-1", payment={"method": "card", "token": "tok_visa"})
    request = world.orders.requests[0]
    assert request.idempotency_key == "my-key-1"
    assert request.payment == {"method": "card", "token": "tok_visa"}


async def test_a_changed_cart_or_payment_is_a_new_keyless_checkout(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    first = await world.checkout()
    by_card = await world.checkout(payment={"method": "card", "token": "tok_visa"})
    await world.set_quantity("u", "pen", 3)
    changed = await world.checkout()
    assert len({first, by_card, changed}) == 3


async def test_a_keyless_checkout_after_a_rejected_order_places_a_new_one(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    rejected = await world.checkout()
    world.orders.set_status(rejected, "REJECTED")
    second = await world.checkout()
    assert second != rejected
    assert await world.checkout() == second  # and a retry of that one finds it


async def test_confirmation_drops_the_ordered_lines_once(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    order_id = await world.checkout()
    await world.set_quantity("u", "ink", 1)  # added meanwhile: stays
    assert await world.settle(order_id) is True
    assert await world.quantities() == {"ink": 1}
    await world.set_quantity("u", "pen", 2)
    assert await world.settle(order_id) is False  # a redelivery changes nothing
    assert await world.quantities() == {"ink": 1, "pen": 2}


async def test_an_order_not_placed_from_a_cart_settles_nothing(world: World) -> None:
    await world.set_quantity("u", "pen", 2)
    assert await world.settle("someone-elses-order") is False
    assert await world.quantities() == {"pen": 2}


async def test_an_order_answered_as_confirmed_is_settled_at_once(world: World) -> None:
    world.orders.status_of_new = "CONFIRMED"
    await world.set_quantity("u", "pen", 2)
    await world.checkout()
    assert await world.quantities() == {}


async def test_a_confirmation_that_went_by_before_the_record_still_settles_it(
    world: World,
) -> None:
    await world.set_quantity("u", "pen", 2)
    await world.set_quantity("u", "ink", 1)
    assert await world.settle("order-1") is False  # nothing recorded yet: only noted
    await world.checkout()  # order-1 is the order this checkout places
    assert await world.quantities() == {}
