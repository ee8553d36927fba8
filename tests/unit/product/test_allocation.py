"""The all-or-nothing decision and the Reservation aggregate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.kernel.domain import InvalidInput
from commerce.product.domain.allocation import allocate, wanted_quantities
from commerce.product.domain.events import (
    RejectionReason,
    ReservedLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from commerce.product.domain.product import Product
from commerce.product.domain.reservation import Reservation, ReservationStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def products(**stock_by_id: int) -> dict[str, Product]:
    found = {}
    for pid, stock in stock_by_id.items():
        found[pid] = Product.create(
            product_id=pid,
            now=NOW,
            seller_id="s",
            name=pid,
            price=1_000 * len(found) + 500,
            stock=stock,
        )
    return found


def test_lines_for_the_same_product_are_summed_in_id_order() -> None:
    assert wanted_quantities([("b", 1), ("a", 2), ("b", 3)]) == {"a": 2, "b": 4}
    assert list(wanted_quantities([("b", 1), ("a", 2)])) == ["a", "b"]


def test_an_order_without_lines_or_with_a_bad_quantity_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        wanted_quantities([])
    with pytest.raises(InvalidInput):
        wanted_quantities([("a", 0)])


def test_every_line_is_reserved_at_the_catalog_price() -> None:
    catalog = products(a=3, b=1)
    reservation = allocate("o1", {"a": 3, "b": 1}, catalog, NOW)
    assert reservation.status is ReservationStatus.RESERVED
    assert reservation.lines == (ReservedLine("a", 3, 500), ReservedLine("b", 1, 1_500))
    assert reservation.total == 3 * 500 + 1_500
    assert (catalog["a"].stock, catalog["b"].stock) == (0, 0)
    [event] = reservation.pull_events()
    assert isinstance(event, StockReserved)
    assert event.lines == reservation.lines


def test_one_short_line_rejects_the_order_and_reserves_nothing() -> None:
    catalog = products(a=5, b=1, c=0)
    reservation = allocate("o1", {"a": 2, "b": 2, "c": 1}, catalog, NOW)
    assert reservation.status is ReservationStatus.REJECTED
    assert reservation.reason is RejectionReason.OUT_OF_STOCK
    assert reservation.rejected_product_ids == ("b", "c")
    assert reservation.lines == ()
    assert [p.stock for p in catalog.values()] == [5, 1, 0]
    [event] = reservation.pull_events()
    assert event == StockRejected(
        order_id="o1",
        reason=RejectionReason.OUT_OF_STOCK,
        product_ids=("b", "c"),
        occurred_at=event.occurred_at,
    )


def test_summed_lines_count_against_stock() -> None:
    catalog = products(a=3)
    wanted = wanted_quantities([("a", 2), ("a", 2)])
    assert allocate("o1", wanted, catalog, NOW).reason is RejectionReason.OUT_OF_STOCK
    assert catalog["a"].stock == 3


def test_an_unknown_product_wins_over_missing_stock() -> None:
    catalog = products(a=0)
    reservation = allocate("o1", {"a": 1, "zz": 1}, catalog, NOW)
    assert reservation.reason is RejectionReason.PRODUCT_NOT_FOUND
    assert reservation.rejected_product_ids == ("zz",)
    assert catalog["a"].stock == 0


def test_announce_repeats_the_first_answer() -> None:
    reserved = Reservation.reserved("o1", [ReservedLine("a", 1, 100)], now=NOW)
    first = reserved.pull_events()
    reserved.announce(NOW)
    again = reserved.pull_events()
    assert [type(e) for e in again] == [StockReserved]
    assert again[0].lines == first[0].lines  # type: ignore[attr-defined]

    rejected = Reservation.rejected("o2", RejectionReason.PRODUCT_NOT_FOUND, ["x"], now=NOW)
    rejected.pull_events()
    rejected.announce(NOW)
    [event] = rejected.pull_events()
    assert isinstance(event, StockRejected)
    assert event.product_ids == ("x",)


def test_release_returns_the_lines_once_and_always_acknowledges() -> None:
    reservation = Reservation.reserved("o1", [ReservedLine("a", 2, 100)], now=NOW)
    reservation.pull_events()
    assert reservation.release(NOW) == (ReservedLine("a", 2, 100),)
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.release(NOW) == ()
    assert [type(e) for e in reservation.pull_events()] == [StockReleased, StockReleased]


def test_released_or_tombstoned_orders_announce_nothing() -> None:
    reservation = Reservation.reserved("o1", [ReservedLine("a", 2, 100)], now=NOW)
    reservation.release(NOW)
    reservation.pull_events()
    reservation.announce(NOW)
    assert reservation.pull_events() == []
    tombstone = Reservation.tombstone("o2", now=NOW)
    assert [type(e) for e in tombstone.pull_events()] == [StockReleased]
    tombstone.announce(NOW)
    assert tombstone.pull_events() == []
    assert tombstone.release(NOW) == ()


def test_rejected_order_releases_nothing() -> None:
    reservation = Reservation.rejected("o1", RejectionReason.OUT_OF_STOCK, ["a"], now=NOW)
    assert reservation.release(NOW) == ()
    assert reservation.status is ReservationStatus.REJECTED
