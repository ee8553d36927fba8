"""The catalog view on SQLite and MariaDB: its rules as SQL, each event applied once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from commerce.cart.adapters.outbound.sql_catalog_view import SqlaCatalogView
from commerce.cart.adapters.outbound.tables import view_reservations
from commerce.cart.adapters.outbound.unit_of_work import SqlaCatalogViewUnitOfWork
from commerce.cart.application.catalog_view import UpdateCatalogView
from commerce.cart.domain.catalog import CatalogEntry
from commerce.kernel.batching import batch_of_keys
from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.kernel.domain import utc_now
from tests.integration.statements import inserts_into, recorded_statements

pytestmark = pytest.mark.integration


@pytest.fixture
def updates(database: Database) -> UpdateCatalogView:
    return UpdateCatalogView(lambda: SqlaCatalogViewUnitOfWork(database.connections, utc_now))


@pytest.fixture
def view(database: Database) -> SqlaCatalogView:
    return SqlaCatalogView(database.engine)


async def stock(view: SqlaCatalogView, *product_ids: str) -> dict[str, int]:
    return {p: e.stock for p, e in (await view.entries(product_ids)).items()}


async def test_product_events_set_the_absolute_values(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 10))
    await updates.product_changed("e2", CatalogEntry("p", "Fine pen", 1_700, 4))
    assert await view.entries(["p", "unknown"]) == {"p": CatalogEntry("p", "Fine pen", 1_700, 4)}


async def test_a_reservation_lowers_the_stock_and_its_release_gives_it_back_once(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 10))
    await updates.product_changed("e2", CatalogEntry("q", "Ink", 300, 1))
    await updates.reserved("e3", "o1", [("p", 3), ("q", 2), ("unseen", 5)])
    assert await stock(view, "p", "q", "unseen") == {"p": 7, "q": 0}  # never below 0
    await updates.reserved("e4", "o1", [("p", 3), ("q", 2)])  # announced again (a re-drive)
    assert await stock(view, "p", "q") == {"p": 7, "q": 0}
    await updates.released("e5", "o1")
    await updates.released("e6", "o1")  # released again: nothing more comes back
    assert await stock(view, "p", "q") == {"p": 10, "q": 2}


async def test_a_product_already_at_zero_is_known_and_gets_its_units_back(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    # The view's stock is a hint: the catalog may have reserved what the view thought gone.
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 0))
    await updates.reserved("e2", "o1", [("p", 2)])  # matched, left at 0 (no change)
    assert await stock(view, "p") == {"p": 0}
    await updates.released("e3", "o1")
    assert await stock(view, "p") == {"p": 2}


async def test_a_release_of_an_order_never_reserved_changes_nothing(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 10))
    await updates.released("e2", "o-unknown")
    assert await stock(view, "p") == {"p": 10}


async def test_a_redelivered_event_is_applied_once(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 10))
    await updates.reserved("e2", "o1", [("p", 3)])
    await updates.released("e3", "o1")
    await updates.reserved("e4", "o2", [("p", 2)])
    await updates.released("e3", "o2")  # e3 again, however it is dressed: the inbox says no
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 99))
    assert await stock(view, "p") == {"p": 8}


async def test_a_seed_never_overwrites_what_the_events_said(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await view.seed(CatalogEntry("p", "Pen", 1_500, 10))
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_800, 9))
    await view.seed(CatalogEntry("p", "Old pen", 1_500, 10))
    assert await view.entries(["p"]) == {"p": CatalogEntry("p", "Pen", 1_800, 9)}


async def test_reservations_older_than_the_cutoff_are_forgotten(
    updates: UpdateCatalogView, view: SqlaCatalogView
) -> None:
    await updates.product_changed("e1", CatalogEntry("p", "Pen", 1_500, 10))
    await updates.reserved("e2", "o1", [("p", 3)])
    assert await view.purge_reservations(before=utc_now() - timedelta(hours=1)) == 0
    assert await view.purge_reservations(before=utc_now() + timedelta(seconds=1)) == 1
    await updates.released("e3", "o1")  # too late: nothing is given back
    assert await stock(view, "p") == {"p": 7}


async def reservations_of(database: Database, order_ids: list[str]) -> list[tuple[int, bool]]:
    """(quantity, released) of the orders' recorded reservations, in the orders' order."""
    async with database.connections() as session:
        rows = await session.execute(
            select(view_reservations).where(view_reservations.c.order_id.in_(order_ids))
        )
        by_order = {row.order_id: (row.quantity, bool(row.released)) for row in rows}
    return [by_order.get(order_id, (0, False)) for order_id in order_ids]


async def apply_all(
    database: Database,
    events: list[Callable[[], Awaitable[None]]],
    *,
    batch_keys: list[str] | None,
) -> None:
    """The events one by one, or (given the batch's keys) in one consumer batch."""
    if batch_keys is None:
        for apply in events:
            await apply()
        return
    with batch_of_keys(batch_keys):
        async with shared_transaction(database.connections):
            for apply in events:
                await apply()


async def test_a_batch_reads_and_records_its_reservations_together_as_one_by_one_would(
    updates: UpdateCatalogView, view: SqlaCatalogView, database: Database
) -> None:
    async def scenario(tag: str, batched: bool) -> tuple[object, ...]:
        product, old, new, redriven = f"p-{tag}", f"o0-{tag}", f"o1-{tag}", f"o2-{tag}"
        await updates.product_changed(f"{tag}-e0", CatalogEntry(product, "Pen", 1_500, 10))
        await updates.reserved(f"{tag}-e1", old, [(product, 1)])  # before the batch
        events = [
            lambda: updates.reserved(f"{tag}-e2", new, [(product, 3)]),
            lambda: updates.reserved(f"{tag}-e3", new, [(product, 3)]),  # a re-drive
            lambda: updates.released(f"{tag}-e4", new),  # finds the batch's reservation
            lambda: updates.released(f"{tag}-e5", new),  # released again: nothing more
            lambda: updates.reserved(f"{tag}-e6", old, [(product, 1)]),  # reserved before
            lambda: updates.reserved(f"{tag}-e7", redriven, [(product, 2)]),
            lambda: updates.released(f"{tag}-e8", old),
        ]
        with recorded_statements(database) as statements:
            keys = [old, new, redriven, product] if batched else None
            await apply_all(database, events, batch_keys=keys)
        reads = [s for s in statements if s.startswith("SELECT view_reservations.order_id")]
        return (
            len(reads),
            inserts_into(statements, "view_reservations"),
            (await stock(view, product))[product],
            await reservations_of(database, [old, new, redriven]),
        )

    batched, alone = await scenario("b", batched=True), await scenario("a", batched=False)

    assert batched[:2] == (1, ["view_reservations"])  # one read, one insert for the batch
    assert alone[:2] == (4, ["view_reservations"] * 2)  # per reservation: a read, an insert
    assert batched[2:] == alone[2:] == (8, [(1, True), (3, True), (2, False)])


async def test_a_batch_lowers_a_products_stock_once_for_all_its_reservations(
    updates: UpdateCatalogView, view: SqlaCatalogView, database: Database
) -> None:
    async def scenario(tag: str, batched: bool) -> tuple[object, ...]:
        popular, unknown, other = f"p-{tag}", f"u-{tag}", f"q-{tag}"
        orders = [f"o{i}-{tag}" for i in range(4)]
        await updates.product_changed(f"{tag}-e0", CatalogEntry(popular, "Pen", 1_500, 100))
        await updates.product_changed(f"{tag}-e1", CatalogEntry(other, "Ink", 300, 20))
        events = [
            lambda: updates.reserved(f"{tag}-e2", orders[0], [(popular, 1)]),
            lambda: updates.reserved(f"{tag}-e3", orders[1], [(popular, 2), (unknown, 4)]),
            lambda: updates.reserved(f"{tag}-e4", orders[2], [(popular, 3), (other, 5)]),
            # The catalog's absolute values, later than the reservations before it.
            lambda: updates.product_changed(f"{tag}-e5", CatalogEntry(other, "Ink", 300, 12)),
            lambda: updates.reserved(f"{tag}-e6", orders[3], [(popular, 4), (other, 1)]),
            # Lowered before the absolute values, then released: its units come back.
            lambda: updates.released(f"{tag}-e7", orders[2]),
        ]
        with recorded_statements(database) as statements:
            await apply_all(database, events, batch_keys=[*orders, other] if batched else None)
        async with database.engine.connect() as session:
            rows = await session.execute(
                select(view_reservations).where(view_reservations.c.order_id.in_(orders))
            )
            taken = sorted((r.order_id[:2], r.product_id[:1], r.quantity) for r in rows)
        lowered = [s for s in statements if s.startswith("UPDATE catalog_view")]
        stocks = await stock(view, popular, other, unknown)
        return len(lowered), [stocks.get(p) for p in (popular, other, unknown)], taken

    batched, alone = await scenario("b", batched=True), await scenario("a", batched=False)

    # One by one: a statement per product of each reservation and release. Batched: the
    # reservations before the absolute values are lowered just before them (3 products),
    # the rest summed with the release at the commit (one lowered, one raised).
    assert (alone[0], batched[0]) == (9, 5)
    assert batched[1:] == alone[1:]
    stocks, taken = batched[1:]
    assert stocks == [100 - 1 - 2 - 4, 12 + 5 - 1, None]  # the last one is not known
    assert taken == [
        ("o0", "p", 1),
        ("o1", "p", 2),
        ("o1", "u", 0),  # the view did not know it: it took nothing, gives nothing back
        ("o2", "p", 3),
        ("o2", "q", 5),
        ("o3", "p", 4),
        ("o3", "q", 1),
    ]
