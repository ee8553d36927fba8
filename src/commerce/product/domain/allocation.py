"""The all-or-nothing decision for one order, over products the caller has locked.

Plain Python on purpose: the decision is tested with in-memory products, while the SQL
adapter makes it safe under concurrency (rows locked in id order, conditional updates).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from commerce.kernel.domain import InvalidInput
from commerce.product.domain.events import RejectionReason
from commerce.product.domain.limits import checked_quantity
from commerce.product.domain.product import Product
from commerce.product.domain.reservation import Reservation


def wanted_quantities(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantity per product, lines for the same product summed, in product id order."""
    wanted: dict[str, int] = {}
    for product_id, quantity in lines:
        wanted[product_id] = wanted.get(product_id, 0) + checked_quantity(quantity)
    if not wanted:
        raise InvalidInput("An order needs at least one line.", code="empty_order")
    return dict(sorted(wanted.items()))


def invalid_order(order_id: str, now: datetime) -> Reservation:
    """The answer to an order that names no usable lines: rejected, nothing held.

    Answering (instead of refusing the message) is what lets the order service finish the
    order; recorded like any answer, so a re-driven request gets it again.
    """
    return Reservation.rejected(order_id, RejectionReason.INVALID_ORDER, (), now=now)


def allocate(
    order_id: str, wanted: Mapping[str, int], products: Mapping[str, Product], now: datetime
) -> Reservation:
    """Reserve every line or none.

    Unknown products win over missing stock: an order naming a product that does not exist
    can never succeed, whatever the stock. On success each product's stock is reduced in
    memory; the caller persists exactly those differences.
    """
    missing = [product_id for product_id in wanted if product_id not in products]
    if missing:
        return Reservation.rejected(order_id, RejectionReason.PRODUCT_NOT_FOUND, missing, now=now)
    short = [pid for pid, quantity in wanted.items() if not products[pid].can_reserve(quantity)]
    if short:
        return Reservation.rejected(order_id, RejectionReason.OUT_OF_STOCK, short, now=now)
    lines = [products[pid].reserve(quantity) for pid, quantity in wanted.items()]
    return Reservation.reserved(order_id, lines, now=now)
