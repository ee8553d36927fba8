"""Idempotency-Key under concurrency: the database's unique constraint decides, not Python."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from commerce.kernel.db import Database
from commerce.order.adapters.outbound.tables import orders
from commerce.order.application.commands import PlaceOrder
from commerce.order.application.errors import IdempotencyKeyReused
from commerce.order.application.use_cases import OrderUseCases
from tests.integration.order.helpers import outbox_events

pytestmark = pytest.mark.integration

LINES = (("p-1", 2),)


async def order_count(database: Database) -> int:
    async with database.connections() as session:
        return (await session.execute(select(func.count()).select_from(orders))).scalar_one()


async def test_concurrent_duplicates_make_one_order(
    use_cases: OrderUseCases, database: Database
) -> None:
    """Twelve requests with one key race on separate connections: one order, one event."""
    results = await asyncio.gather(
        *(use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="k-1")) for _ in range(12))
    )
    assert len({result.order.id for result in results}) == 1
    assert sum(result.created for result in results) == 1
    assert await order_count(database) == 1
    assert [e["type"] for e in await outbox_events(database)] == ["OrderPlaced"]


async def test_concurrent_duplicates_with_another_body_are_refused(
    use_cases: OrderUseCases, database: Database
) -> None:
    results = await asyncio.gather(
        use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="k-1")),
        *(
            use_cases.place(PlaceOrder("u-1", (("p-9", 1),), idempotency_key="k-1"))
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    # Whichever body won the race, every request with the other body is refused.
    assert all(isinstance(error, IdempotencyKeyReused) for error in refused)
    assert len({r.order.id for r in created}) == 1
    assert await order_count(database) == 1


async def test_keys_are_per_user_and_case_sensitive_whatever_the_collation(
    use_cases: OrderUseCases, database: Database
) -> None:
    a = await use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="Key-1"))
    b = await use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="key-1"))
    c = await use_cases.place(PlaceOrder("u-2", LINES, idempotency_key="Key-1"))
    d = await use_cases.place(PlaceOrder("u-1", LINES))
    e = await use_cases.place(PlaceOrder("u-1", LINES))
    assert len({x.order.id for x in (a, b, c, d, e)}) == 5
    assert await order_count(database) == 5


async def test_a_replay_returns_the_order_as_it_is_now(use_cases: OrderUseCases) -> None:
    from commerce.order.application.commands import CancelOrder

    first = await use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    await use_cases.cancel(CancelOrder("u-1", first.order.id))
    again = await use_cases.place(PlaceOrder("u-1", LINES, idempotency_key="k-1"))
    assert again.order.id == first.order.id and again.order.status == "CANCELLED"
