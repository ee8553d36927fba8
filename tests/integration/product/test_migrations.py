"""The Alembic history as a stairway: every step up, down and up again; head matches the tables."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade
from commerce.product.adapters.outbound.tables import metadata
from commerce.product.bootstrap import SERVICE_PACKAGE
from tests.integration.migrations import revisions, schema_drift, table_names

pytestmark = pytest.mark.integration


def index_names(connection: Connection) -> set[str]:
    inspector = inspect(connection)
    names = {i["name"] for i in inspector.get_indexes("products")}
    return names | {u["name"] for u in inspector.get_unique_constraints("products")}


def check_names(connection: Connection) -> set[str]:
    return {c["name"] for c in inspect(connection).get_check_constraints("products")}


def test_history_is_linear() -> None:
    assert revisions(SERVICE_PACKAGE) == [
        "product_0001",
        "product_0002",
        "product_0003",
        "product_0004",
    ]


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
        everything = {"products", "outbox", "inbox", "reservations", "reservation_lines"}
        operations = everything | {"dead_letters", "admin_audit"}
        assert tables_after == [{"products", "outbox", "inbox"}, everything, everything, operations]
        async with engine.connect() as connection:
            indexes = await connection.run_sync(index_names)
            checks = await connection.run_sync(check_names)
        # Rebuilding the table for the check (SQLite) must keep its indexes and constraints.
        assert "ix_products_created_at_id" in indexes
        assert "ck_products_stock_not_negative" in checks

        await downgrade(engine, SERVICE_PACKAGE, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()
    finally:
        await engine.dispose()
