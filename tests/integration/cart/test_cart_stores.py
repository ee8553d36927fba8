"""The cart store on SQL (SQLite and MariaDB) and on Redis: the same behaviour from both."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from commerce.cart.application.ports import CartChangedMeanwhile, CartStore

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)


def quantities(cart: object) -> dict[str, int]:
    return {line.product_id: line.quantity for line in cart.lines}  # type: ignore[attr-defined]


async def test_a_saved_cart_loads_as_it_was(store: CartStore) -> None:
    cart = await store.load("u1")
    assert cart.lines == () and cart.revision == 0
    cart.set_quantity("a", 2, NOW)
    cart.set_quantity("b", 1000, NOW)
    await store.save(cart)
    loaded = await store.load("u1")
    assert (loaded.id, loaded.revision, loaded.updated_at) == (cart.id, 2, NOW)
    assert loaded.lines == cart.lines
    assert (await store.load("u2")).lines == ()


async def test_of_two_writers_of_one_revision_only_the_first_saves(store: CartStore) -> None:
    first = await store.load("u1")
    first.set_quantity("a", 1, NOW)
    await store.save(first)
    mine, theirs = await store.load("u1"), await store.load("u1")
    mine.set_quantity("b", 1, NOW)
    theirs.set_quantity("c", 1, NOW)
    await store.save(mine)
    with pytest.raises(CartChangedMeanwhile):
        await store.save(theirs)
    assert quantities(await store.load("u1")) == {"a": 1, "b": 1}


async def test_two_new_carts_of_one_user_saved_at_once_one_wins(store: CartStore) -> None:
    carts = [await store.load("u1"), await store.load("u1")]
    for n, cart in enumerate(carts):
        cart.set_quantity(f"p{n}", 1, NOW)
    outcomes = await asyncio.gather(*(store.save(c) for c in carts), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["CartChangedMeanwhile", "NoneType"]
    assert len((await store.load("u1")).lines) == 1


async def test_a_cleared_cart_comes_back_with_a_new_id(store: CartStore) -> None:
    cart = await store.load("u1")
    cart.set_quantity("a", 1, NOW)
    await store.save(cart)
    await store.delete("u1")
    again = await store.load("u1")
    assert again.lines == () and again.id != cart.id
    cart.set_quantity("b", 1, NOW)  # a writer still holding the old cart
    with pytest.raises(CartChangedMeanwhile):
        await store.save(cart)


async def test_a_checkout_is_settled_once_with_the_carts_change(store: CartStore) -> None:
    cart = await store.load("u1")
    cart.set_quantity("a", 1, NOW)
    cart.set_quantity("b", 2, NOW)
    await store.save(cart)
    checkout = cart.checkout("order-1")
    await store.record_checkout(checkout)
    await store.record_checkout(cart.checkout("order-1"))  # a replay: the first stands
    assert await store.open_checkout("order-1") == checkout
    assert await store.open_checkout("order-2") is None

    current = await store.load("u1")
    current.set_quantity("c", 3, NOW)
    await store.save(current)
    settling = await store.load("u1")
    settling.drop_ordered(checkout, NOW)
    assert await store.settle(checkout, settling) is True
    assert quantities(await store.load("u1")) == {"c": 3}
    assert await store.open_checkout("order-1") is None
    assert await store.settle(checkout, await store.load("u1")) is False


async def test_a_settlement_over_a_changed_cart_is_refused_and_stays_open(
    store: CartStore,
) -> None:
    cart = await store.load("u1")
    cart.set_quantity("a", 1, NOW)
    await store.save(cart)
    checkout = cart.checkout("order-1")
    await store.record_checkout(checkout)
    stale = await store.load("u1")
    meanwhile = await store.load("u1")
    meanwhile.set_quantity("b", 1, NOW)
    await store.save(meanwhile)
    stale.drop_ordered(checkout, NOW)
    with pytest.raises(CartChangedMeanwhile):
        await store.settle(checkout, stale)
    assert await store.open_checkout("order-1") == checkout
    assert quantities(await store.load("u1")) == {"a": 1, "b": 1}


async def test_a_confirmation_is_remembered(store: CartStore) -> None:
    assert await store.was_confirmed("order-1") is False
    await store.note_confirmed("order-1")
    await store.note_confirmed("order-1")  # a redelivery
    assert await store.was_confirmed("order-1") is True
    assert await store.was_confirmed("order-2") is False
