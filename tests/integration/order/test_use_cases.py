"""The use cases over the real tables (SQLite and MariaDB): rows, outbox, inbox, versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.db import Database
from commerce.kernel.domain import InvalidInput
from commerce.order.adapters.outbound.repository import SqlaOrderRepository
from commerce.order.adapters.outbound.tables import inbox, order_lines, orders
from commerce.order.application.commands import (
    CancelOrder,
    DeliverOrder,
    PaymentInput,
    PlaceOrder,
    RecordPayment,
    RecordRejection,
    RecordRelease,
    RecordReservation,
    ShipOrder,
)
from commerce.order.application.ports import StaleOrder
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.bootstrap import build_use_cases
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import OrderStatus, Reply
from commerce.order.domain.payment import PaymentStatus
from commerce.order.domain.redrive import RedriveSchedule
from commerce.order.settings import Settings
from tests.integration.order.helpers import outbox_events
from tests.integration.statements import recorded_statements
from tests.unit.order.fakes import FakeClock

pytestmark = pytest.mark.integration

LINES = (("p-1", 2), ("p-2", 1))
PRICED = (PricedLine("p-1", 2, 1_500), PricedLine("p-2", 1, 700))


async def count(database: Database, table) -> int:  # type: ignore[no-untyped-def]
    async with database.connections() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_place_writes_order_lines_and_order_placed_in_one_go(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    placement = await use_cases.place(PlaceOrder("u-1", LINES))
    order = placement.order
    assert order.status == "PENDING" and order.total is None
    assert order.created_at == clock.now
    assert await use_cases.read.get("u-1", order.id) == order
    assert await count(database, order_lines) == 2
    (event,) = await outbox_events(database)
    assert event["topic"] == ORDER_EVENTS and event["key"] == order.id
    assert event["type"] == "OrderPlaced" and event["source"] == "order"
    assert event["data"] == {
        "order_id": order.id,
        "user_id": "u-1",
        "items": [{"product_id": "p-1", "quantity": 2}, {"product_id": "p-2", "quantity": 1}],
    }


async def test_reservation_prices_the_order_once_and_asks_for_the_payment(
    use_cases: OrderUseCases, database: Database
) -> None:
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    reserved = RecordReservation("evt-1", order_id, PRICED)
    assert await use_cases.catalog_replies.reserved(reserved) is Reply.APPLIED
    assert await use_cases.catalog_replies.reserved(reserved) is None
    view = await use_cases.read.get("u-1", order_id)
    assert view.status == "PENDING"
    assert [item.unit_price for item in view.items] == [1_500, 700]
    assert view.total == 3_700
    events = await outbox_events(database)
    assert [e["type"] for e in events] == ["OrderPlaced", "PaymentRequested"]
    assert events[1]["data"] == {
        "order_id": order_id,
        "user_id": "u-1",
        "amount": 3_700,
        "method": "invoice",
        "token": None,
    }
    authorized = RecordPayment("evt-2", order_id, PaymentStatus.AUTHORIZED)
    assert await use_cases.payment_replies(authorized) is Reply.APPLIED
    assert await use_cases.payment_replies(authorized) is None
    view = await use_cases.read.get("u-1", order_id)
    assert (view.status, view.payment.status) == ("CONFIRMED", "AUTHORIZED")
    events = await outbox_events(database)
    assert [e["type"] for e in events][2:] == ["OrderConfirmed"]
    assert events[2]["data"] == {"order_id": order_id, "total": 3_700}
    assert await count(database, inbox) == 2


async def test_a_save_after_pricing_writes_no_line_again(
    use_cases: OrderUseCases, database: Database
) -> None:
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    with recorded_statements(database) as statements:
        reserved = RecordReservation("evt-1", order_id, PRICED)
        assert await use_cases.catalog_replies.reserved(reserved) is Reply.APPLIED
        priced = [s for s in statements if s.startswith("UPDATE order_lines")]
        statements.clear()
        authorized = RecordPayment("evt-2", order_id, PaymentStatus.AUTHORIZED)
        assert await use_cases.payment_replies(authorized) is Reply.APPLIED
    assert len(priced) == 1  # one executemany for both lines, when the catalog priced them
    assert [s for s in statements if s.startswith("UPDATE order_lines")] == []
    assert [s for s in statements if s.startswith("UPDATE orders")] != []
    view = await use_cases.read.get("u-1", order_id)
    assert [item.unit_price for item in view.items] == [1_500, 700]


async def test_the_whole_life_cycle_is_stored_and_read_back(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    placed = await use_cases.place(
        PlaceOrder("u-1", LINES, payment=PaymentInput("card", "tok_visa"))
    )
    order_id = placed.order.id
    await use_cases.catalog_replies.reserved(RecordReservation("evt-1", order_id, PRICED))
    await use_cases.payment_replies(RecordPayment("evt-2", order_id, PaymentStatus.AUTHORIZED))
    clock.advance(1)
    shipped_at = clock.now
    await use_cases.fulfilment.ship(ShipOrder(order_id, "CJ", "T-1", staff=True))
    await use_cases.payment_replies(RecordPayment("evt-3", order_id, PaymentStatus.CAPTURED))
    clock.advance(1)
    delivered = await use_cases.fulfilment.deliver(DeliverOrder(order_id, staff=True))
    view = await use_cases.read.get("u-1", order_id)
    assert view == delivered
    assert (view.status, view.payment.method, view.payment.status) == (
        "DELIVERED",
        "card",
        "CAPTURED",
    )
    assert view.shipment is not None
    assert (view.shipment.shipped_at, view.shipment.delivered_at) == (shipped_at, clock.now)
    # The aggregate as loaded keeps the card's token for a re-driven PaymentRequested.
    async with database.connections() as session:
        order = await SqlaOrderRepository(session).get(order_id)
    assert order is not None and order.payment.token == "tok_visa"


async def test_an_order_whose_payment_never_answers_is_rejected_at_the_deadline(
    database: Database, clock: FakeClock
) -> None:
    settings = Settings(
        redrive_after_seconds=10,
        redrive_interval_seconds=5,
        redrive_max_interval_seconds=20,
        payment_deadline_seconds=30,
    )
    use_cases = build_use_cases(database, settings, clock)
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    await use_cases.catalog_replies.reserved(RecordReservation("evt-1", order_id, PRICED))
    for _ in range(29):
        clock.advance(1)
        await use_cases.redrive()
    assert (await use_cases.read.get("u-1", order_id)).status == "PENDING"
    clock.advance(1)
    assert await use_cases.redrive() == 1
    view = await use_cases.read.get("u-1", order_id)
    assert (view.status, view.reason) == ("REJECTED", "PAYMENT_UNAVAILABLE")
    types = [e["type"] for e in await outbox_events(database)]
    # asked at 0 s, again at 10, 15 and 25 s (the next would be at 45 s), then gave up at 30 s
    assert types == [
        "OrderPlaced",
        "PaymentRequested",
        "PaymentRequested",
        "PaymentRequested",
        "PaymentRequested",
        "OrderRejected",
    ]
    late = RecordPayment("evt-2", order_id, PaymentStatus.AUTHORIZED)
    assert await use_cases.payment_replies(late) is Reply.COMPENSATED
    assert (await use_cases.read.get("u-1", order_id)).status == "REJECTED"


async def test_huge_totals_fit(use_cases: OrderUseCases) -> None:
    lines = tuple((f"p-{i}", 1_000) for i in range(50))
    order_id = (await use_cases.place(PlaceOrder("u-1", lines))).order.id
    priced = tuple(PricedLine(f"p-{i}", 1_000, 10**9) for i in range(50))
    await use_cases.catalog_replies.reserved(RecordReservation("evt-1", order_id, priced))
    assert (await use_cases.read.get("u-1", order_id)).total == 50 * 1_000 * 10**9


async def test_rejection_and_a_late_reservation_that_is_released_again(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    rejected = RecordRejection("evt-1", order_id, "OUT_OF_STOCK")
    assert await use_cases.catalog_replies.rejected(rejected) is Reply.APPLIED
    late = RecordReservation("evt-2", order_id, PRICED)
    assert await use_cases.catalog_replies.reserved(late) is Reply.COMPENSATED
    view = await use_cases.read.get("u-1", order_id)
    assert (view.status, view.reason, view.total) == ("REJECTED", "OUT_OF_STOCK", None)
    types = [e["type"] for e in await outbox_events(database)]
    assert types == ["OrderPlaced", "OrderRejected", "OrderRejected"]
    # The release is persisted as awaited (so the re-drive repeats it) and bumps the version.
    async with database.connections() as session:
        row = (
            await session.execute(
                select(orders.c.awaiting, orders.c.publish_count, orders.c.version).where(
                    orders.c.id == order_id
                )
            )
        ).one()
    assert tuple(row) == ("RELEASE", 1, 2)
    clock.advance(10)
    assert await use_cases.redrive() == 1
    assert [e["type"] for e in await outbox_events(database)][-1] == "OrderRejected"


async def test_cancel_then_release_ends_the_redrive(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    await use_cases.cancel(CancelOrder("u-1", order_id))
    clock.advance(10)
    assert await use_cases.redrive() == 1
    released = RecordRelease("evt-1", order_id)
    assert await use_cases.catalog_replies.released(released) is Reply.APPLIED
    clock.advance(60)
    assert await use_cases.redrive() == 0
    types = [e["type"] for e in await outbox_events(database)]
    assert types == ["OrderPlaced", "OrderCancelled", "OrderCancelled"]


async def test_redrive_republishes_due_orders_with_new_event_ids(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    stuck = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    clock.advance(5)
    young = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    clock.advance(5)
    assert await use_cases.redrive() == 1  # only the one quiet for 10 s
    clock.advance(4)
    assert await use_cases.redrive() == 0  # the young one needs 1 s more, the stuck one 1 s
    clock.advance(1)
    assert await use_cases.redrive() == 2
    events = await outbox_events(database)
    placed = [(e["data"]["order_id"], e["id"]) for e in events if e["type"] == "OrderPlaced"]
    assert [order_id for order_id, _ in placed] == [stuck, young, stuck, young, stuck]
    assert len({event_id for _, event_id in placed}) == 5
    async with database.connections() as session:
        counts = dict((await session.execute(select(orders.c.id, orders.c.publish_count))).all())
    assert counts == {stuck: 3, young: 2}


async def test_redrive_waits_longer_in_sql_while_answers_come_late(
    use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    answered = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    waiting = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    clock.advance(12)  # a backlog: the catalog's answers take 12 s
    rejection = RecordRejection("evt-1", answered, "OUT_OF_STOCK")
    assert await use_cases.catalog_replies.rejected(rejection) is Reply.APPLIED
    assert await use_cases.redrive() == 0
    clock.advance(9)
    assert await use_cases.redrive() == 0  # late, not lost: 10 s beyond the answers' 12
    clock.advance(1)
    assert await use_cases.redrive() == 1
    assert (await publish_counts(database))[waiting] == 2


async def test_redrive_backs_off_per_order_in_sql_as_in_the_domain(
    database: Database, clock: FakeClock
) -> None:
    settings = Settings(
        redrive_after_seconds=10, redrive_interval_seconds=5, redrive_max_interval_seconds=20
    )
    use_cases = build_use_cases(database, settings, clock)
    schedule = RedriveSchedule(
        after=timedelta(seconds=10),
        interval=timedelta(seconds=5),
        max_interval=timedelta(seconds=20),
    )
    first = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    asked: dict[str, list[int]] = {first: []}
    for second in range(1, 91):  # 90 s in 1 s steps; a second order joins after 30 s
        clock.advance(1)
        if second == 30:
            asked[(await use_cases.place(PlaceOrder("u-1", LINES))).order.id] = []
        before = await publish_counts(database)
        await use_cases.redrive()
        after = await publish_counts(database)
        for order_id in asked:
            if after[order_id] != before.get(order_id, after[order_id]):
                asked[order_id].append(second)
        # The query selects exactly the due orders: none is left, none too early.
        async with database.connections() as session:
            due = await SqlaOrderRepository(session).due_for_redrive(
                clock.now, schedule=schedule, limit=10
            )
        assert due == []
    second_id = next(order_id for order_id in asked if order_id != first)
    # after 10 s, then every 5 s doubling up to 20 s
    assert asked[first] == [10, 15, 25, 45, 65, 85]
    assert asked[second_id] == [40, 45, 55, 75]
    assert (await publish_counts(database))[first] == 7


async def publish_counts(database: Database) -> dict[str, int]:
    async with database.connections() as session:
        return dict((await session.execute(select(orders.c.id, orders.c.publish_count))).all())  # type: ignore[arg-type]


async def test_a_stale_save_is_refused(use_cases: OrderUseCases, database: Database) -> None:
    order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
    async with database.connections() as first, database.connections() as second:
        mine = await SqlaOrderRepository(first).get(order_id)
        theirs = await SqlaOrderRepository(second).get(order_id)
        assert mine is not None and theirs is not None
        theirs.cancel(theirs.created_at)
        await SqlaOrderRepository(second).save(theirs)
        await second.commit()
        mine.reject("OUT_OF_STOCK", mine.created_at)
        with pytest.raises(StaleOrder):
            await SqlaOrderRepository(first).save(mine)
    assert (await use_cases.read.get("u-1", order_id)).status == "CANCELLED"


async def test_cancel_racing_a_reservation_never_loses_either(use_cases: OrderUseCases) -> None:
    """Whatever the interleaving, the order ends CANCELLED and the catalog is told to release."""
    import asyncio

    async def delivered(command: RecordReservation) -> object:
        # As the consumer's processor does: a reply that lost the race is delivered again.
        for _ in range(5):
            try:
                return await use_cases.catalog_replies.reserved(command)
            except StaleOrder:
                continue
        raise AssertionError("the reply kept losing")

    for round_ in range(5):
        order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
        reserved = RecordReservation(f"evt-{round_}", order_id, PRICED)
        _, cancelled = await asyncio.gather(
            delivered(reserved),
            use_cases.cancel(CancelOrder("u-1", order_id)),
        )
        assert cancelled.status == "CANCELLED"
        assert (await use_cases.read.get("u-1", order_id)).status == OrderStatus.CANCELLED


async def test_cancel_racing_an_authorization_never_loses_either(
    use_cases: OrderUseCases, database: Database
) -> None:
    """Whatever the interleaving, the order ends CANCELLED, and once the authorization is noted
    the release (on which the payment service voids) is asked for after it."""
    import asyncio

    async def delivered(command: RecordPayment) -> object:
        for _ in range(5):
            try:
                return await use_cases.payment_replies(command)
            except StaleOrder:
                continue
        raise AssertionError("the reply kept losing")

    for round_ in range(5):
        order_id = (await use_cases.place(PlaceOrder("u-1", LINES))).order.id
        await use_cases.catalog_replies.reserved(RecordReservation(f"r-{round_}", order_id, PRICED))
        authorized = RecordPayment(f"a-{round_}", order_id, PaymentStatus.AUTHORIZED)
        _, cancelled = await asyncio.gather(
            delivered(authorized), use_cases.cancel(CancelOrder("u-1", order_id))
        )
        assert cancelled.status == "CANCELLED"
        view = await use_cases.read.get("u-1", order_id)
        assert (view.status, view.payment.status) == ("CANCELLED", "AUTHORIZED")
        events = [e["type"] for e in await outbox_events(database) if e["key"] == order_id]
        assert events[-1] == "OrderCancelled"
        assert events.count("OrderConfirmed") <= 1


async def test_list_is_newest_first_in_keyset_pages_with_a_status_filter(
    use_cases: OrderUseCases, clock: FakeClock
) -> None:
    ids = []
    for _ in range(5):
        ids.append((await use_cases.place(PlaceOrder("u-1", LINES))).order.id)
        clock.advance(0.000001)  # a microsecond apart: the order must survive storage
    await use_cases.place(PlaceOrder("u-2", LINES))
    await use_cases.cancel(CancelOrder("u-1", ids[1]))
    seen, cursor = [], None
    while True:
        page = await use_cases.read.list("u-1", limit=2, cursor=cursor, status=None)
        seen += [view.id for view in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))
    page = await use_cases.read.list("u-1", limit=10, cursor=None, status=OrderStatus.PENDING)
    assert [view.id for view in page.items] == [ids[4], ids[3], ids[2], ids[0]]
    page = await use_cases.read.list("u-1", limit=10, cursor=None, status=OrderStatus.CANCELLED)
    assert [view.id for view in page.items] == [ids[1]]


async def test_a_tampered_cursor_is_invalid_input(use_cases: OrderUseCases) -> None:
    for cursor in ("!!!", "e30", "eyJ0IjoieCIsImlkIjoxfQ"):  # not base64 / {} / bad values
        with pytest.raises(InvalidInput):
            await use_cases.read.list("u-1", limit=10, cursor=cursor, status=None)
