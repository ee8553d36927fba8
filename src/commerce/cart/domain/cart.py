"""The Cart aggregate: which products a user means to buy, and how many of each.

Every change bumps ``revision``; each line remembers the revision that last set it. A
checkout records the revision it ordered at, so a confirmation later drops exactly the lines
still as they were ordered: a line added, or set again, after the checkout stays
(docs/adr/0122).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from commerce.kernel.domain import Conflict, InvalidInput

MAX_LINES = 50
MAX_QUANTITY = 1000


class CartFull(Conflict):
    code = "cart_full"

    def __init__(self) -> None:
        super().__init__(f"A cart holds at most {MAX_LINES} products.")


class EmptyCart(Conflict):
    code = "cart_empty"

    def __init__(self) -> None:
        super().__init__("The cart is empty: there is nothing to check out.")


def checked_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            f"quantity must be 1..{MAX_QUANTITY}", code="invalid_quantity", field="quantity"
        )
    return quantity


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int
    set_at: int  # the cart revision that last set this line


@dataclass(frozen=True)
class OrderedLine:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Checkout:
    """An order placed from a cart: its lines, as they were at ``revision``."""

    order_id: str
    user_id: str
    cart_id: str
    revision: int
    lines: tuple[OrderedLine, ...]


class Cart:
    """``id`` names this cart's life (a new one after the cart is cleared); ``base_revision``
    is the revision it was loaded at, which the store compares before it saves."""

    def __init__(
        self,
        *,
        user_id: str,
        id: str,
        lines: Iterable[CartLine] = (),
        revision: int = 0,
        updated_at: datetime | None = None,
    ) -> None:
        self.user_id = user_id
        self.id = id
        self._lines = {line.product_id: line for line in lines}
        self.revision = revision
        self.base_revision = revision
        self.updated_at = updated_at

    @property
    def lines(self) -> tuple[CartLine, ...]:
        return tuple(self._lines.values())

    @property
    def changed(self) -> bool:
        return self.revision != self.base_revision

    def set_quantity(self, product_id: str, quantity: int, now: datetime) -> None:
        """Put ``quantity`` units of the product in the cart (replacing the line's)."""
        quantity = checked_quantity(quantity)
        current = self._lines.get(product_id)
        if current is not None and current.quantity == quantity:
            return
        if current is None and len(self._lines) >= MAX_LINES:
            raise CartFull()
        self._touch(now)
        self._lines[product_id] = CartLine(product_id, quantity, self.revision)

    def remove(self, product_id: str, now: datetime) -> None:
        if self._lines.pop(product_id, None) is not None:
            self._touch(now)

    def order_lines(self) -> tuple[OrderedLine, ...]:
        """What an order placed from this cart now orders."""
        if not self._lines:
            raise EmptyCart()
        return tuple(OrderedLine(line.product_id, line.quantity) for line in self.lines)

    def checkout(self, order_id: str) -> Checkout:
        """The record of ``order_id``, placed with :meth:`order_lines` at this revision."""
        return Checkout(order_id, self.user_id, self.id, self.revision, self.order_lines())

    def renew_checkout(self) -> None:
        """A new revision with the same lines, so that a derived idempotency key changes."""
        self.revision += 1

    def drop_ordered(self, checkout: Checkout, now: datetime) -> None:
        """The order was confirmed: drop each ordered line not set again since."""
        if checkout.cart_id != self.id:
            return  # the ordered cart was cleared since: nothing of it is left
        ordered = {line.product_id for line in checkout.lines}
        kept = {
            product_id: line
            for product_id, line in self._lines.items()
            if product_id not in ordered or line.set_at > checkout.revision
        }
        if len(kept) != len(self._lines):
            self._lines = kept
            self._touch(now)

    def mark_saved(self) -> None:
        """The store holds this revision now."""
        self.base_revision = self.revision

    def _touch(self, now: datetime) -> None:
        self.revision += 1
        self.updated_at = now
