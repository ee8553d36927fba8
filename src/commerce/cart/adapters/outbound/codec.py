"""Carts and checkouts as JSON, the same for the SQL and the Redis store."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from commerce.cart.domain.cart import Cart, CartLine, Checkout, OrderedLine


def new_cart(user_id: str) -> Cart:
    return Cart(user_id=user_id, id=str(uuid.uuid4()))


def encode_lines(cart: Cart) -> str:
    return json.dumps([[line.product_id, line.quantity, line.set_at] for line in cart.lines])


def decode_cart(
    user_id: str, cart_id: str, revision: int, updated_at: datetime | None, lines: str
) -> Cart:
    return Cart(
        user_id=user_id,
        id=cart_id,
        lines=(CartLine(str(p), int(q), int(s)) for p, q, s in json.loads(lines)),
        revision=revision,
        updated_at=updated_at,
    )


def encode_ordered(checkout: Checkout) -> str:
    return json.dumps([[line.product_id, line.quantity] for line in checkout.lines])


def decode_ordered(lines: str) -> tuple[OrderedLine, ...]:
    return tuple(OrderedLine(str(p), int(q)) for p, q in json.loads(lines))


def checkout_fields(checkout: Checkout) -> dict[str, Any]:
    return {
        "order_id": checkout.order_id,
        "user_id": checkout.user_id,
        "cart_id": checkout.cart_id,
        "revision": checkout.revision,
        "lines": encode_ordered(checkout),
    }


def checkout_of(fields: dict[str, Any]) -> Checkout:
    return Checkout(
        order_id=str(fields["order_id"]),
        user_id=str(fields["user_id"]),
        cart_id=str(fields["cart_id"]),
        revision=int(fields["revision"]),
        lines=decode_ordered(str(fields["lines"])),
    )
