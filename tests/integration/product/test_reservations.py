"""Reservations on a real database, through the order-events handler as the consumer runs it
(inside its message processor, the one place where a lost race or a lock conflict is retried).

Concurrency is real: every reservation is its own task with its own session (and so its own
connection), all started together; the database alone decides who gets the last units.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.ordering import OrderConfirmed
from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db import Database
from commerce.kernel.messaging.processing import (
    IncomingMessage,
    MessageProcessor,
    Outcome,
)
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.adapters.outbound.tables import products, reservations
from tests.integration.product.helpers import (
    cancelled,
    new_order_id,
    new_product,
    outbox_events,
    placed,
    reserved_units,
    stock_of,
)

pytestmark = pytest.mark.integration


Deliver = Callable[[EventEnvelope], Awaitable[None]]


@pytest.fixture
def handle(processor: MessageProcessor) -> Deliver:
    """Delivers one event as the consumer would, and expects it handled."""
    offsets = itertools.count()

    async def deliver(envelope: EventEnvelope) -> None:
        message = IncomingMessage(
            topic=ORDER_EVENTS,
            partition=0,
            offset=next(offsets),
            key=b"k",
            value=envelope.to_json(),
        )
        outcome = await processor.process(message)
        assert outcome is Outcome.HANDLED, outcome

    return deliver


async def test_two_hundred_concurrent_orders_take_exactly_the_stock(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=50, price=1_200)
    orders = [new_order_id() for _ in range(200)]
    await asyncio.gather(*(handle(placed(order, (product, 1))) for order in orders))

    assert await stock_of(database, product) == 0
    assert await reserved_units(database, product) == 50
    reserved = await outbox_events(database, "StockReserved")
    rejected = await outbox_events(database, "StockRejected")
    assert len(reserved) == 50
    assert len(rejected) == 150
    assert {e.data["order_id"] for e in reserved + rejected} == set(orders)
    assert all(
        e.data["items"] == [{"product_id": product, "quantity": 1, "unit_price": 1_200}]
        for e in reserved
    )
    assert all(e.data["reason"] == "OUT_OF_STOCK" for e in rejected)


async def test_multi_line_orders_are_all_or_nothing_under_concurrency(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    # Each order wants one of a and one of b, listed in either order (lock ordering must not
    # depend on it). a runs out after 10, b after 15: exactly 10 orders can be served.
    a = await new_product(catalog, stock=10)
    b = await new_product(catalog, stock=15)
    envelopes = [
        placed(new_order_id(), *([(a, 1), (b, 1)] if n % 2 else [(b, 1), (a, 1)]))
        for n in range(40)
    ]
    await asyncio.gather(*(handle(envelope) for envelope in envelopes))

    assert await stock_of(database, a) == 0
    assert await stock_of(database, b) == 5
    reserved = await outbox_events(database, "StockReserved")
    assert len(reserved) == 10
    assert all(len(e.data["items"]) == 2 for e in reserved)
    assert await reserved_units(database, a) == await reserved_units(database, b) == 10


async def test_redelivered_event_is_a_no_op(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=5)
    envelope = placed(new_order_id(), (product, 2))
    await handle(envelope)
    await handle(envelope)
    assert await stock_of(database, product) == 3
    assert len(await outbox_events(database, "StockReserved")) == 1


async def test_concurrent_redeliveries_apply_once(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=5)
    envelope = placed(new_order_id(), (product, 2))
    await asyncio.gather(*(handle(envelope) for _ in range(5)))
    assert await stock_of(database, product) == 3
    assert len(await outbox_events(database, "StockReserved")) == 1


async def test_redriven_order_repeats_its_answer_without_reserving_again(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=5, price=700)
    order = new_order_id()
    await handle(placed(order, (product, 2)))
    # Re-drives with new event ids, some of them concurrent.
    await handle(placed(order, (product, 2)))
    await asyncio.gather(*(handle(placed(order, (product, 2))) for _ in range(4)))

    assert await stock_of(database, product) == 3
    reserved = await outbox_events(database, "StockReserved")
    assert len(reserved) == 6
    assert {str(e.data) for e in reserved} == {str(reserved[0].data)}
    assert len({e.id for e in reserved}) == 6


async def test_redriven_rejection_is_rejected_again(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=1)
    order = new_order_id()
    await handle(placed(order, (product, 1), ("no-such-product", 1)))
    await handle(placed(order, (product, 1), ("no-such-product", 1)))
    assert await stock_of(database, product) == 1
    rejected = await outbox_events(database, "StockRejected")
    assert [e.data for e in rejected] == [
        {"order_id": order, "reason": "PRODUCT_NOT_FOUND", "product_ids": ["no-such-product"]}
    ] * 2


async def test_an_order_without_usable_lines_is_rejected_as_invalid_and_stays_so(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=4)
    order = new_order_id()
    unusable = placed(order, (product, 1))
    await handle(
        EventEnvelope.model_validate(
            {**unusable.model_dump(), "data": {**unusable.data, "items": []}}
        )
    )
    await handle(placed(order, (product, 1)))  # a re-drive gets the recorded answer
    assert await stock_of(database, product) == 4
    rejected = await outbox_events(database, "StockRejected")
    assert [e.data for e in rejected] == [
        {"order_id": order, "reason": "INVALID_ORDER", "product_ids": []}
    ] * 2
    async with database.connections() as session:
        status = await session.execute(
            select(reservations.c.status).where(reservations.c.order_id == order)
        )
        assert status.scalar_one() == "REJECTED"


async def test_cancel_releases_exactly_once(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    a = await new_product(catalog, stock=5)
    b = await new_product(catalog, stock=3)
    order = new_order_id()
    await handle(placed(order, (a, 2), (b, 3), (a, 1)))
    assert (await stock_of(database, a), await stock_of(database, b)) == (2, 0)

    first = cancelled(order)
    await handle(first)
    await handle(first)  # redelivery
    await asyncio.gather(*(handle(cancelled(order)) for _ in range(3)))  # re-drives
    await handle(placed(order, (a, 2), (b, 3)))  # a late re-drive of the placement

    assert (await stock_of(database, a), await stock_of(database, b)) == (5, 3)
    assert len(await outbox_events(database, "StockReleased")) == 4
    assert len(await outbox_events(database, "StockReserved")) == 1


async def test_cancel_before_placed_reserves_nothing_later(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    product = await new_product(catalog, stock=5)
    order = new_order_id()
    await handle(cancelled(order))
    await handle(placed(order, (product, 1)))
    assert await stock_of(database, product) == 5
    assert [e.type for e in await outbox_events(database)] == ["ProductCreated", "StockReleased"]


async def test_events_of_other_types_are_ignored(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    await handle(EventEnvelope.wrap(OrderConfirmed(order_id="o", total=1), "order"))
    unknown = EventEnvelope.model_validate(
        {
            "id": "x",
            "type": "OrderTeleported",
            "occurred_at": "2026-01-01T00:00:00Z",
            "source": "o",
            "data": {},
        }
    )
    await handle(unknown)
    assert await outbox_events(database) == []


async def test_the_database_itself_refuses_negative_stock(
    catalog: SqlaCatalog, database: Database
) -> None:
    product = await new_product(catalog, stock=1)
    async with database.connections() as session:
        with pytest.raises((IntegrityError, OperationalError)):
            await session.execute(update(products).where(products.c.id == product).values(stock=-1))
    assert await stock_of(database, product) == 1


async def test_placement_racing_its_cancellation_never_leaks_stock(
    catalog: SqlaCatalog, database: Database, handle: Deliver
) -> None:
    # Each order's OrderPlaced and OrderCancelled run at the same time (as after a broker lost
    # its log and both were re-driven): whoever wins, nothing stays held.
    product = await new_product(catalog, stock=30)
    orders = [new_order_id() for _ in range(30)]
    await asyncio.gather(
        *(handle(placed(order, (product, 1))) for order in orders),
        *(handle(cancelled(order)) for order in orders),
    )
    assert await stock_of(database, product) == 30
    async with database.connections() as session:
        statuses = (await session.execute(select(reservations.c.status))).scalars().all()
    assert set(statuses) <= {"CANCELLED", "RELEASED"}
    assert len(statuses) == 30
    assert len(await outbox_events(database, "StockReleased")) == 30
