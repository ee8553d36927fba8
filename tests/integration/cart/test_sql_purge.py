"""The SQL cart store forgets old checkouts and noted confirmations (Redis expires its own)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commerce.cart.adapters.outbound.sql_cart_store import SqlaCartStore
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now

pytestmark = pytest.mark.integration


async def test_old_checkouts_and_confirmations_are_purged(database: Database) -> None:
    store = SqlaCartStore(database.connections, utc_now)
    cart = await store.load("u1")
    cart.set_quantity("a", 1, utc_now())
    await store.save(cart)
    await store.record_checkout(cart.checkout("order-1"))
    await store.note_confirmed("order-2")
    earlier = utc_now() - timedelta(hours=1)
    assert await store.purge(checkouts_before=earlier, confirmations_before=earlier) == 0
    later = utc_now() + timedelta(seconds=1)
    assert await store.purge(checkouts_before=later, confirmations_before=earlier) == 1
    assert await store.open_checkout("order-1") is None
    assert await store.was_confirmed("order-2")
    assert await store.purge(checkouts_before=later, confirmations_before=later) == 1
    assert not await store.was_confirmed("order-2")
    assert [line.product_id for line in (await store.load("u1")).lines] == ["a"]
