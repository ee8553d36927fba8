"""The Alembic history as a stairway: every step up, down and up again; head matches the tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, insert, select

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade
from commerce.order.adapters.outbound.tables import held_units, metadata, order_lines, orders
from commerce.order.bootstrap import SERVICE_PACKAGE
from tests.integration.migrations import revisions, schema_drift, table_names

pytestmark = pytest.mark.integration


def v1_order(order_id: str, user_id: str, status: str, now: datetime) -> dict[str, object]:
    """An order row as the first revisions know it."""
    return {
        "id": order_id,
        "user_id": user_id,
        "status": status,
        "last_published_at": now,
        "publish_count": 1,
        "version": 0,
        "created_at": now,
        "updated_at": now,
    }


def test_history_is_linear() -> None:
    assert revisions(SERVICE_PACKAGE) == ["order_0001", "order_0002", "order_0003", "order_0004"]


async def test_stairway(database_url: str) -> None:
    await ensure_database(database_url)
    engine = create_engine(database_url)
    try:
        tables_after: list[set[str]] = []
        for revision in revisions(SERVICE_PACKAGE):
            await upgrade(engine, SERVICE_PACKAGE, revision)
            async with engine.connect() as connection:
                tables_after.append(await connection.run_sync(table_names))
            await downgrade(engine, SERVICE_PACKAGE, "-1")
            await upgrade(engine, SERVICE_PACKAGE, revision)
        async with engine.connect() as connection:
            assert await connection.run_sync(schema_drift(metadata)) == []
        first = {"orders", "order_lines", "outbox", "inbox"}
        held = first | {"held_units"}
        operations = held | {"dead_letters", "admin_audit"}
        assert tables_after == [first, held, held, operations]

        await downgrade(engine, SERVICE_PACKAGE, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()
    finally:
        await engine.dispose()


async def test_held_units_start_from_the_orders_that_are_not_final(database_url: str) -> None:
    """order_0002 counts what existing orders hold, so a deployed system starts consistent."""
    await ensure_database(database_url)
    engine = create_engine(database_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    placed = [
        ("o-1", "u-1", "PENDING", [3, 4]),
        ("o-2", "u-1", "CONFIRMED", [10]),
        ("o-3", "u-1", "REJECTED", [100]),
        ("o-4", "u-2", "CANCELLED", [100]),
        ("o-5", "u-3", "CONFIRMED", [1]),
    ]
    try:
        await upgrade(engine, SERVICE_PACKAGE, "order_0001")
        async with engine.begin() as connection:
            for order_id, user_id, status, quantities in placed:
                await connection.execute(insert(orders), v1_order(order_id, user_id, status, now))
                await connection.execute(
                    insert(order_lines),
                    [
                        {"order_id": order_id, "line_no": n, "product_id": f"p-{n}", "quantity": q}
                        for n, q in enumerate(quantities)
                    ],
                )
        await upgrade(engine, SERVICE_PACKAGE, "order_0002")
        async with engine.connect() as connection:
            rows = await connection.execute(select(held_units.c.user_id, held_units.c.units))
            assert dict(rows.all()) == {"u-1": 17, "u-3": 1}
    finally:
        await downgrade(engine, SERVICE_PACKAGE, "base")
        await engine.dispose()


async def test_orders_before_v1_1_are_invoices_and_confirmed_ones_authorized(
    database_url: str,
) -> None:
    """order_0003 keeps existing orders readable: paid by invoice (v1's only way), those already
    CONFIRMED authorized, the rest waiting; its downgrade gives the columns back."""
    await ensure_database(database_url)
    engine = create_engine(database_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        await upgrade(engine, SERVICE_PACKAGE, "order_0002")
        async with engine.begin() as connection:
            # Only the columns every revision has: the head's other columns are not there yet.
            await connection.execute(
                insert(orders),
                [v1_order("o-1", "u-1", "PENDING", now), v1_order("o-2", "u-1", "CONFIRMED", now)],
            )
        await upgrade(engine, SERVICE_PACKAGE, "order_0003")
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    orders.c.id,
                    orders.c.payment_method,
                    orders.c.payment_token,
                    orders.c.payment_status,
                    orders.c.shipped_at,
                ).order_by(orders.c.id)
            )
            assert [tuple(row) for row in rows] == [
                ("o-1", "invoice", None, "PENDING", None),
                ("o-2", "invoice", None, "AUTHORIZED", None),
            ]
        await downgrade(engine, SERVICE_PACKAGE, "order_0002")
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("orders")}
            )
            assert "payment_status" not in columns and "shipped_at" not in columns
            assert (
                await connection.execute(select(func.count()).select_from(orders))
            ).scalar() == 2
    finally:
        await downgrade(engine, SERVICE_PACKAGE, "base")
        await engine.dispose()
