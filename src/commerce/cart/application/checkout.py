"""Checkout: one order with the cart's lines, placed through the order service; and, once
that order is confirmed, the ordered lines dropped from the cart (docs/adr/0122)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commerce.cart.application.ports import CartStore, OrderPlacer, OrderRequest, PlacedOrder
from commerce.cart.application.retry import retry_if_changed
from commerce.cart.domain.cart import Cart
from commerce.kernel.ports import Clock

DERIVED_KEY_PREFIX = "cart-"
# A replayed order in one of these placed nothing that lasts: a keyless retry orders anew.
ENDED_WITHOUT_GOODS = frozenset({"REJECTED", "CANCELLED"})
# An order past these has been confirmed: its lines leave the cart.
CONFIRMED_OR_LATER = frozenset({"CONFIRMED", "SHIPPED", "DELIVERED"})


@dataclass(frozen=True)
class CheckOutCommand:
    user_id: str
    proof: str
    idempotency_key: str | None
    payment: Mapping[str, Any] | None


def derived_key(cart: Cart, payment: Mapping[str, Any] | None) -> str:
    """The key of a checkout sent without one: the same cart (id and revision) with the same
    payment is the same request, so a retry finds the order its first attempt placed."""
    material = [cart.user_id, cart.id, cart.revision, payment]
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return DERIVED_KEY_PREFIX + digest


class SettleCheckout:
    """An order was confirmed: if it was placed from a cart, drop the ordered lines, once."""

    def __init__(self, store: CartStore, clock: Clock) -> None:
        self._store, self._clock = store, clock

    async def __call__(self, order_id: str) -> bool:
        """``True`` when this call settled the checkout; ``False`` when there is none open
        (an order not placed from a cart, or settled already, or not recorded yet)."""
        # Noted first: a checkout recorded from now on sees it, one recorded before is open
        # below. Either way one of the two settles it (docs/adr/0122).
        await self._store.note_confirmed(order_id)
        return await self.settle_open(order_id)

    async def settle_open(self, order_id: str) -> bool:
        async def attempt() -> bool:
            checkout = await self._store.open_checkout(order_id)
            if checkout is None:
                return False
            cart = await self._store.load(checkout.user_id)
            cart.drop_ordered(checkout, self._clock())
            return await self._store.settle(checkout, cart)

        return await retry_if_changed(attempt)


class CheckOut:
    """Place one order with the cart's lines, exactly once per idempotency key."""

    def __init__(self, store: CartStore, orders: OrderPlacer, settle: SettleCheckout) -> None:
        self._store, self._orders, self._settle = store, orders, settle

    async def __call__(self, command: CheckOutCommand) -> PlacedOrder:
        cart = await self._store.load(command.user_id)
        placed = await self._place(cart, command)
        if (
            command.idempotency_key is None
            and placed.status_code == 200
            and placed.status in ENDED_WITHOUT_GOODS
        ):
            # The same cart was checked out before and that order ended unfulfilled: this is
            # a new attempt, under a new key (a retry of it will find the new order).
            cart.renew_checkout()
            await self._store.save(cart)
            placed = await self._place(cart, command)
        await self._store.record_checkout(cart.checkout(placed.order_id))
        if placed.status in CONFIRMED_OR_LATER or await self._store.was_confirmed(placed.order_id):
            # Its confirmation went by before the record existed.
            await self._settle.settle_open(placed.order_id)
        return placed

    async def _place(self, cart: Cart, command: CheckOutCommand) -> PlacedOrder:
        key = command.idempotency_key or derived_key(cart, command.payment)
        request = OrderRequest(cart.order_lines(), command.payment, key, command.proof)
        return await self._orders.place(request)
