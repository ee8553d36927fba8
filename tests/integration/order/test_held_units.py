"""The cap on units held per user over the real tables (SQLite and MariaDB): concurrent
placements, releases on one order (rejection, cancellation, declined payment, shipping) and in
a consumer batch, the 409 (ADR 0063)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.kernel.db import Database
from commerce.kernel.db.shared_transaction import shared_transaction
from commerce.order.adapters.outbound.held_units import SqlaHeldUnits
from commerce.order.adapters.outbound.tables import held_units, order_lines, orders, outbox
from commerce.order.application.commands import (
    CancelOrder,
    DeliverOrder,
    PlaceOrder,
    RecordPayment,
    RecordRejection,
    RecordReservation,
    ShipOrder,
)
from commerce.order.application.errors import HeldUnitsCapReached
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.bootstrap import build_use_cases
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.payment import PaymentStatus
from commerce.order.settings import Settings
from tests.identity import as_user
from tests.unit.order.fakes import FakeClock

pytestmark = pytest.mark.integration

CAP = Settings().max_held_units_per_user  # the default, 1000


@pytest.fixture
def use_cases(database: Database, clock: FakeClock) -> OrderUseCases:
    """With the default cap (the conftest's is out of the way); ``client`` serves these."""
    return build_use_cases(database, Settings(), clock)


async def held(database: Database) -> dict[str, int]:
    async with database.connections() as session:
        return dict((await session.execute(select(held_units.c.user_id, held_units.c.units))).all())


async def rows(database: Database, table: Table) -> int:
    async with database.connections() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def held_by_orders(database: Database, user_id: str) -> int:
    """What the counter must equal: the units of the user's PENDING and CONFIRMED orders."""
    query = (
        select(func.coalesce(func.sum(order_lines.c.quantity), 0))
        .join(orders, orders.c.id == order_lines.c.order_id)
        .where(orders.c.user_id == user_id, orders.c.status.in_(["PENDING", "CONFIRMED"]))
    )
    async with database.connections() as session:
        return int((await session.execute(query)).scalar_one())


async def place(use_cases: OrderUseCases, user_id: str, units: int, product: str = "p-1") -> str:
    return (await use_cases.place(PlaceOrder(user_id, ((product, units),)))).order.id


async def test_concurrent_placements_of_one_user_never_pass_the_cap(
    use_cases: OrderUseCases, database: Database
) -> None:
    """Twenty orders of 100 units race on their own connections, the user's row not there yet
    (the first ones also race to create it): exactly ten fit."""
    results = await asyncio.gather(
        *(place(use_cases, "u-1", 100) for _ in range(20)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(accepted) == 10, refused
    assert all(isinstance(error, HeldUnitsCapReached) for error in refused)
    assert await held(database) == {"u-1": CAP}
    assert await held_by_orders(database, "u-1") == CAP
    assert await rows(database, orders) == await rows(database, outbox) == 10


async def test_first_holds_racing_to_create_the_users_row_all_count(database: Database) -> None:
    """Ten first holds of a user find no row and race to add it; each then holds in turn. On
    MariaDB, a shared lock on the new row (INSERT IGNORE) makes most of them deadlock on their
    UPDATEs; the exclusive one (ON DUPLICATE KEY UPDATE) queues them."""
    # Connected beforehand, so that every first UPDATE runs before any row exists.
    sessions = [database.connections() for _ in range(10)]
    for session in sessions:
        await session.start()

    async def hold(session: AsyncConnection) -> bool:
        try:
            done = await SqlaHeldUnits(session, None).hold("u-1", 1, cap=100)
            await session.commit()
            return done
        finally:
            await session.close()

    assert await asyncio.gather(*(hold(session) for session in sessions)) == [True] * 10
    assert await held(database) == {"u-1": 10}


async def test_a_refused_order_writes_nothing(use_cases: OrderUseCases, database: Database) -> None:
    await place(use_cases, "u-1", 900)
    with pytest.raises(HeldUnitsCapReached) as refused:
        await place(use_cases, "u-1", 101)
    assert (refused.value.held, refused.value.wanted) == (900, 101)
    assert await held(database) == {"u-1": 900}
    assert (await rows(database, orders), await rows(database, outbox)) == (1, 1)
    assert await rows(database, order_lines) == 1


async def test_rejection_and_cancellation_give_the_units_back(
    use_cases: OrderUseCases, database: Database
) -> None:
    rejected = await place(use_cases, "u-1", 600)
    confirmed = await place(use_cases, "u-1", 400)
    await use_cases.catalog_replies.reserved(
        RecordReservation("evt-1", confirmed, (PricedLine("p-1", 400, 10),))
    )
    await use_cases.catalog_replies.rejected(RecordRejection("evt-2", rejected, "OUT_OF_STOCK"))
    assert await held(database) == {"u-1": 400}
    await use_cases.cancel(CancelOrder("u-1", confirmed))
    assert await held(database) == {"u-1": 0}
    await place(use_cases, "u-1", CAP)
    assert await held(database) == {"u-1": CAP} and await held_by_orders(database, "u-1") == CAP


async def test_a_declined_payment_and_shipping_give_the_units_back(
    use_cases: OrderUseCases, database: Database
) -> None:
    declined, shipped = await place(use_cases, "u-1", 600), await place(use_cases, "u-1", 400)
    for order_id, units in ((declined, 600), (shipped, 400)):
        priced = (PricedLine("p-1", units, 10),)
        await use_cases.catalog_replies.reserved(
            RecordReservation(f"r-{order_id}", order_id, priced)
        )
    await use_cases.payment_replies(
        RecordPayment("evt-1", declined, PaymentStatus.DECLINED, "PAYMENT_DECLINED")
    )
    await use_cases.payment_replies(RecordPayment("evt-2", shipped, PaymentStatus.AUTHORIZED))
    assert await held(database) == {"u-1": 400}
    await use_cases.fulfilment.ship(ShipOrder(shipped, "CJ", "T-1", staff=True))
    assert await held(database) == {"u-1": 0}
    await use_cases.fulfilment.deliver(DeliverOrder(shipped, staff=True))
    assert await held(database) == {"u-1": 0}
    await place(use_cases, "u-1", CAP)
    assert await held(database) == {"u-1": CAP} and await held_by_orders(database, "u-1") == CAP


async def test_a_consumer_batch_gives_back_what_its_rejections_freed(
    use_cases: OrderUseCases, database: Database
) -> None:
    """The batch's releases are summed per user and written before its one commit."""
    a1, a2, b1 = [await place(use_cases, user, 300) for user in ("u-a", "u-a", "u-b")]
    kept = await place(use_cases, "u-b", 200)
    async with shared_transaction(database.connections):
        for number, order_id in enumerate((a1, b1, a2)):
            await use_cases.catalog_replies.rejected(
                RecordRejection(f"evt-{number}", order_id, "OUT_OF_STOCK")
            )
        await use_cases.catalog_replies.reserved(
            RecordReservation("evt-9", kept, (PricedLine("p-1", 200, 10),))
        )
    assert await held(database) == {"u-a": 0, "u-b": 200}
    assert await held_by_orders(database, "u-b") == 200


async def test_an_undone_batch_gives_nothing_back(
    use_cases: OrderUseCases, database: Database
) -> None:
    order_id = await place(use_cases, "u-1", 300)
    with pytest.raises(RuntimeError):
        async with shared_transaction(database.connections):
            await use_cases.catalog_replies.rejected(RecordRejection("evt-1", order_id, "X"))
            raise RuntimeError("a later message of the batch failed")
    assert await held(database) == {"u-1": 300}


async def test_the_findings_order_is_a_409_problem_and_a_replay_still_answers(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Issue 9, finding 6: one 50 x 1000 order would hold all the stock of 50 products."""
    alice = {**as_user("alice", "a@example.com", "USER"), "Idempotency-Key": "k-1"}
    whole = {"items": [{"product_id": f"p-{i}", "quantity": 1000} for i in range(50)]}
    response = await client.post("/v1/orders", json=whole, headers=alice)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/held-units-cap-reached")
    assert "at most 1000 units" in problem["detail"] and "hold 0 now" in problem["detail"]
    assert await rows(database, orders) == 0

    one_line = {"items": [{"product_id": "p-1", "quantity": 1000}]}
    first = await client.post("/v1/orders", json=one_line, headers=alice)
    again = await client.post("/v1/orders", json=one_line, headers=alice)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    del alice["Idempotency-Key"]
    assert (await client.post("/v1/orders", json=one_line, headers=alice)).status_code == 409


async def test_the_409_is_in_the_contract(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    documented = document["paths"]["/v1/orders"]["post"]["responses"]
    assert "held-units-cap-reached" in documented["409"]["description"]
