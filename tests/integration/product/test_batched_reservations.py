"""Reservations made by a consumer batch (one shared transaction, ADR 0043) on a real
database: inserted together when the batch commits, seen by the batch's later messages, and
a batch whose insert collides is applied message by message instead."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import SharedTransaction, shared_transaction
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
from tests.integration.statements import inserts_into, recorded_statements

pytestmark = pytest.mark.integration


offsets = itertools.count()


def messages(*envelopes: EventEnvelope, keyed: bool = False) -> list[IncomingMessage]:
    """The envelopes as one partition's records; ``keyed``: by order id, as the order
    service publishes them (else all under one key no order has)."""
    return [
        IncomingMessage(
            topic=ORDER_EVENTS,
            partition=0,
            offset=next(offsets),
            key=e.data["order_id"].encode() if keyed else b"k",
            value=e.to_json(),
        )
        for e in envelopes
    ]


def before_commit(
    database: Database, meanwhile: Callable[[SharedTransaction], Awaitable[None]]
) -> Callable[[], AbstractAsyncContextManager[SharedTransaction]]:
    """A batch transaction in which ``meanwhile`` runs after the batch's messages were applied
    and before it commits."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[SharedTransaction]:
        async with shared_transaction(database.connections) as shared:
            yield shared
            await meanwhile(shared)

    return transaction


async def statuses(database: Database, *order_ids: str) -> list[str | None]:
    async with database.connections() as session:
        rows = await session.execute(
            select(reservations.c.order_id, reservations.c.status).where(
                reservations.c.order_id.in_(order_ids)
            )
        )
        found = {row.order_id: row.status for row in rows}
    return [found.get(order_id) for order_id in order_ids]


def scenario(product: str) -> tuple[list[str], list[EventEnvelope]]:
    kept, cancelled_soon, cancelled_first = new_order_id(), new_order_id(), new_order_id()
    return [kept, cancelled_soon, cancelled_first], [
        placed(kept, (product, 2)),
        placed(cancelled_soon, (product, 3)),
        cancelled(cancelled_soon),  # finds the reservation of this very batch
        placed(cancelled_soon, (product, 3)),  # a re-drive: repeats its answer, takes nothing
        cancelled(cancelled_first),
        placed(cancelled_first, (product, 4)),  # after its cancellation: reserves nothing
    ]


async def outcome(database: Database, product: str, order_ids: list[str]) -> object:
    answers = [
        (e.type, e.data.get("order_id"))
        for e in await outbox_events(database)
        if e.type != "ProductCreated"
    ]
    labels = {order_id: f"order {n}" for n, order_id in enumerate(order_ids)}
    return (
        await statuses(database, *order_ids),
        await stock_of(database, product),
        await reserved_units(database, product),
        [(kind, labels[str(id_)]) for kind, id_ in answers if str(id_) in labels],
    )


async def test_a_batch_inserts_its_reservations_together_and_ends_as_one_by_one_would(
    catalog: SqlaCatalog, database: Database, processor: MessageProcessor
) -> None:
    product = await new_product(catalog, stock=10)
    order_ids, batch = scenario(product)
    with recorded_statements(database) as statements:
        applied = await processor.process_batch(
            messages(*batch), lambda: shared_transaction(database.connections)
        )
    assert applied
    assert inserts_into(statements, "reservation") == ["reservations", "reservation_lines"]
    batched = await outcome(database, product, order_ids)

    assert batched[:2] == (["RESERVED", "RELEASED", "CANCELLED"], 8)

    # The same scenario one message at a time, on a product of its own.
    alone = await new_product(catalog, stock=10)
    alone_ids, one_by_one = scenario(alone)
    for message in messages(*one_by_one):
        assert await processor.process(message) is Outcome.HANDLED
    assert await outcome(database, alone, alone_ids) == batched


async def test_a_batch_asks_once_which_of_its_orders_were_answered_and_ends_as_one_by_one(
    catalog: SqlaCatalog, database: Database, processor: MessageProcessor
) -> None:
    product = await new_product(catalog, stock=20)
    answered = new_order_id()
    for message in messages(placed(answered, (product, 1)), keyed=True):
        assert await processor.process(message) is Outcome.HANDLED
    order_ids, batch = scenario(product)
    batch.append(placed(answered, (product, 1)))  # a re-drive of an order answered before

    with recorded_statements(database) as statements:
        assert await processor.process_batch(
            messages(*batch, keyed=True), lambda: shared_transaction(database.connections)
        )

    reads = [s for s in statements if s.startswith("SELECT") and "FROM reservations" in s]
    # One read for the batch's orders; a locking read only for the one answered before.
    assert len(reads) == 2 and " IN (" in reads[0] and "order_id = " in reads[1]
    if database.connections.dialect_name != "sqlite":  # SQLite locks the whole file instead
        assert "FOR UPDATE" not in reads[0] and "FOR UPDATE" in reads[1]
    batched = await outcome(database, product, [*order_ids, answered])
    assert batched[:2] == (["RESERVED", "RELEASED", "CANCELLED", "RESERVED"], 17)

    # The same one message at a time, on a product of its own.
    alone = await new_product(catalog, stock=20)
    alone_answered = new_order_id()
    alone_ids, one_by_one = scenario(alone)
    for envelope in [placed(alone_answered, (alone, 1)), *one_by_one]:
        assert await processor.process(*messages(envelope, keyed=True)) is Outcome.HANDLED
    assert (
        await processor.process(*messages(placed(alone_answered, (alone, 1)), keyed=True))
        is Outcome.HANDLED
    )
    assert await outcome(database, alone, [*alone_ids, alone_answered]) == batched


async def test_a_batch_whose_insert_collides_commits_nothing(
    catalog: SqlaCatalog, database: Database, processor: MessageProcessor
) -> None:
    product = await new_product(catalog, stock=10)
    order, other = new_order_id(), new_order_id()

    async def answered_meanwhile(shared: SharedTransaction) -> None:
        """A row for ``order`` appears after the batch read that order's reservation: what
        another relay's answer committed meanwhile does."""
        await shared.session.execute(
            insert(reservations).values(
                order_id=order,
                status="RELEASED",
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )

    batch = messages(placed(other, (product, 1)), placed(order, (product, 2)))
    applied = await processor.process_batch(batch, before_commit(database, answered_meanwhile))

    assert not applied, "the batch's insert collided: the caller goes one by one"
    assert await statuses(database, other, order) == [None, None]
    assert await stock_of(database, product) == 10
    assert await reserved_units(database, product) == 0


async def test_a_batch_takes_a_products_stock_at_its_end_on_mariadb_at_each_message_on_sqlite(
    catalog: SqlaCatalog, database: Database, processor: MessageProcessor
) -> None:
    product = await new_product(catalog, stock=10)
    batch = messages(*(placed(new_order_id(), (product, 2)) for _ in range(3)))

    with recorded_statements(database) as statements:
        assert await processor.process_batch(
            batch, lambda: shared_transaction(database.connections)
        )

    takes = [n for n, s in enumerate(statements) if s.startswith("UPDATE products")]
    if database.connections.dialect_name == "sqlite":
        # SQLite's one writer lock is taken at the batch's first write anyway.
        assert len(takes) == 3
    else:
        # One UPDATE for the three orders, after every message was applied: the product's
        # row is locked for the end of the batch only. And read once, not once per order.
        reads = [n for n, s in enumerate(statements) if "FROM products" in s]
        assert len(reads) == 1
        assert len(takes) == 1 and takes[0] > max(reads)
        assert not any("FOR UPDATE" in statements[n] for n in reads)
    assert await stock_of(database, product) == 4
    assert await reserved_units(database, product) == 6


@pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)
async def test_stock_taken_by_others_meanwhile_undoes_the_batch_and_nothing_is_oversold(
    catalog: SqlaCatalog, database: Database, processor: MessageProcessor
) -> None:
    # MariaDB only: there the batch reads its products without locking them. (On SQLite it
    # holds the writer lock from its first write: nobody can take stock meanwhile.)
    product = await new_product(catalog, stock=3)
    first, second = new_order_id(), new_order_id()

    async def taken_meanwhile(_: SharedTransaction) -> None:
        """Another transaction takes all but 1 unit before the batch commits."""
        async with database.engine.begin() as other:
            await other.execute(update(products).where(products.c.id == product).values(stock=1))

    batch = messages(placed(first, (product, 2)), placed(second, (product, 1)))
    assert not await processor.process_batch(batch, before_commit(database, taken_meanwhile))
    assert await stock_of(database, product) == 1
    assert await statuses(database, first, second) == [None, None]

    # Message by message, each with its product locked: the first no longer fits.
    for message in batch:
        assert await processor.process(message) is Outcome.HANDLED
    assert await statuses(database, first, second) == ["REJECTED", "RESERVED"]
    assert await stock_of(database, product) == 0
