"""Order lines and money arithmetic: integer KRW, no minor unit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from commerce.kernel.domain import InvalidInput
from commerce.kernel.money import Money

MAX_LINES = 50
MAX_QUANTITY = 1000


@dataclass(frozen=True, slots=True)
class Quantity:
    """How many units of a product one order line asks for: 1 to 1000."""

    value: int

    def __post_init__(self) -> None:
        if not 1 <= self.value <= MAX_QUANTITY:
            raise InvalidInput(f"A quantity is 1 to {MAX_QUANTITY}.", code="invalid_order_lines")


@dataclass(frozen=True)
class OrderLine:
    """What the client asked for; ``unit_price`` is ``None`` until the catalog priced it."""

    product_id: str
    quantity: int
    unit_price: int | None = None

    @property
    def subtotal(self) -> int | None:
        return (
            None if self.unit_price is None else Money(self.unit_price).times(self.quantity).amount
        )


@dataclass(frozen=True)
class PricedLine:
    """One line as the catalog reserved it, with its price at that moment."""

    product_id: str
    quantity: int
    unit_price: int


def requested_lines(lines: Sequence[tuple[str, int]]) -> tuple[OrderLine, ...]:
    """Validate a client's lines: 1..50 of them, quantity 1..1000, each product once."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInput(f"An order has 1 to {MAX_LINES} lines.", code="invalid_order_lines")
    seen: set[str] = set()
    result = []
    for product_id, quantity in lines:
        if not product_id:
            raise InvalidInput("A line needs a product id.", code="invalid_order_lines")
        checked = Quantity(quantity)
        # One line per product keeps the catalog's all-or-nothing reservation unambiguous.
        if product_id in seen:
            raise InvalidInput(
                "Each product may appear on one line only.", code="duplicate_order_line"
            )
        seen.add(product_id)
        result.append(OrderLine(product_id, checked.value))
    return tuple(result)


def price_lines(lines: Sequence[OrderLine], priced: Iterable[PricedLine]) -> tuple[OrderLine, ...]:
    """The order's lines with the catalog's prices; the catalog must price exactly our lines."""
    priced = list(priced)
    wanted = Counter((line.product_id, line.quantity) for line in lines)
    got = Counter((line.product_id, line.quantity) for line in priced)
    if wanted != got:
        raise InvalidInput("The reservation does not match the order's lines.")
    prices = {line.product_id: line.unit_price for line in priced}
    if any(price < 0 for price in prices.values()):
        raise InvalidInput("A unit price cannot be negative.")
    return tuple(
        OrderLine(line.product_id, line.quantity, prices[line.product_id]) for line in lines
    )


def total_of(lines: Iterable[OrderLine]) -> int | None:
    """Sum of the lines' subtotals, or ``None`` while any line is unpriced."""
    subtotals = [line.subtotal for line in lines]
    if any(subtotal is None for subtotal in subtotals):
        return None
    return Money.sum(Money(subtotal) for subtotal in subtotals if subtotal is not None).amount
