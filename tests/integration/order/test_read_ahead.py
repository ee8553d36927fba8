"""In a consumer batch the order service reads the orders its messages are keyed by in one
statement and saves them with one (docs/adr/0047), on SQLite and MariaDB: the batch ends as
the same replies one by one would, and a row read ahead that changed meanwhile is never saved
over the change."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from commerce.kernel.batching import batch_of_keys
from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.order.adapters.outbound.tables import orders
from commerce.order.application.commands import PlaceOrder, RecordReservation
from commerce.order.application.ports import StaleOrder
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.domain.lines import PricedLine
from tests.integration.statements import recorded_statements

pytestmark = pytest.mark.integration

PRICED = (PricedLine("p-1", 2, 1_500),)


async def place(use_cases: OrderUseCases, count: int) -> list[str]:
    return [
        (await use_cases.place(PlaceOrder("u-1", (("p-1", 2),)))).order.id for _ in range(count)
    ]


async def reserve(use_cases: OrderUseCases, order_ids: list[str]) -> None:
    for order_id in order_ids:
        await use_cases.catalog_replies.reserved(
            RecordReservation(f"evt-{order_id}", order_id, PRICED)
        )


async def state(use_cases: OrderUseCases, order_id: str) -> tuple[int, str, int | None]:
    snapshot = await use_cases.read.snapshot("u-1", order_id)
    return snapshot.version, snapshot.order.status, snapshot.order.total


async def test_a_batch_reads_its_orders_in_one_statement_and_ends_as_one_by_one_would(
    use_cases: OrderUseCases, database: Database
) -> None:
    batched, alone = await place(use_cases, 3), await place(use_cases, 1)

    # Keyed by the three orders and by something that is no order (a product's event).
    with recorded_statements(database) as statements, batch_of_keys([*batched, "p-1"]):
        async with shared_transaction(database.connections):
            await reserve(use_cases, batched)
    await reserve(use_cases, alone)

    reads = [s for s in statements if s.startswith("SELECT") and "FROM orders" in s]
    assert len(reads) == 1 and " IN (" in reads[0]
    # The three saves and their lines' prices: one executemany each, just before the commit.
    assert [s.split(" SET ")[0] for s in statements if s.startswith("UPDATE")] == [
        "UPDATE orders",
        "UPDATE order_lines",
    ]
    expected = await state(use_cases, alone[0])
    assert expected[1:] == ("PENDING", 3_000)
    assert [await state(use_cases, order_id) for order_id in batched] == [expected] * 3


async def test_an_order_read_twice_in_a_batch_is_read_again_the_second_time(
    use_cases: OrderUseCases, database: Database
) -> None:
    (order_id,) = await place(use_cases, 1)

    with recorded_statements(database) as statements, batch_of_keys([order_id]):
        async with shared_transaction(database.connections):
            await reserve(use_cases, [order_id])
            # The same reply again under another event id (a re-drive's): it sees the first.
            await use_cases.catalog_replies.reserved(
                RecordReservation("evt-again", order_id, PRICED)
            )

    reads = [s for s in statements if s.startswith("SELECT") and "FROM orders" in s]
    assert len(reads) == 2
    assert (await state(use_cases, order_id))[1:] == ("PENDING", 3_000)


async def test_a_row_read_ahead_that_changed_meanwhile_is_not_saved_over_the_change(
    use_cases: OrderUseCases, database: Database
) -> None:
    first, second = await place(use_cases, 2)
    before = await state(use_cases, second)

    with pytest.raises(StaleOrder), batch_of_keys([first, second]):
        async with shared_transaction(database.connections) as shared:
            await reserve(use_cases, [first])  # reads both orders ahead
            # Someone changes the second order after it was read ahead.
            await shared.session.execute(
                update(orders).where(orders.c.id == second).values(version=orders.c.version + 1)
            )
            await reserve(use_cases, [second])

    # Nothing of the batch was committed; the caller applies its messages one by one.
    assert await state(use_cases, second) == before
    assert (await state(use_cases, first))[2] is None
