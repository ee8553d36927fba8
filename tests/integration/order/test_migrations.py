"""The Alembic history as a stairway: every step up, down and up again; head matches the tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade
from commerce.order.adapters.outbound.tables import held_units, metadata, order_lines, orders
from commerce.order.bootstrap import SERVICE_PACKAGE
from tests.integration.migrations import revisions, schema_drift, table_names

pytestmark = pytest.mark.integration


def test_history_is_linear() -> None:
    assert revisions(SERVICE_PACKAGE) == ["order_0001", "order_0002"]


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
        assert tables_after == [first, first | {"held_units"}]

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
                await connection.execute(
                    insert(orders),
                    {
                        "id": order_id,
                        "user_id": user_id,
                        "status": status,
                        "last_published_at": now,
                        "publish_count": 1,
                        "version": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
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
