"""The Alembic history: up, down and up again, and the result matches the tables module."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade
from commerce.user.adapters.outbound.tables import metadata
from commerce.user.bootstrap import SERVICE_PACKAGE
from tests.integration.migrations import schema_drift, table_names

pytestmark = pytest.mark.integration


def unique_constraints(connection: Connection) -> list[dict[str, object]]:
    return list(inspect(connection).get_unique_constraints("users"))


async def test_stairway_upgrade_downgrade_upgrade(database_url: str) -> None:
    await ensure_database(database_url)
    engine = create_engine(database_url)
    try:
        await upgrade(engine, SERVICE_PACKAGE)
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == {
                "users",
                "outbox",
                "dead_letters",
                "admin_audit",
            }
            assert await connection.run_sync(schema_drift(metadata)) == []
            constraints = await connection.run_sync(unique_constraints)
        assert any(constraint["column_names"] == ["email"] for constraint in constraints)

        await downgrade(engine, SERVICE_PACKAGE, "user_0001")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == {"users"}

        await downgrade(engine, SERVICE_PACKAGE, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()

        await upgrade(engine, SERVICE_PACKAGE)
        async with engine.connect() as connection:
            assert await connection.run_sync(schema_drift(metadata)) == []
    finally:
        await engine.dispose()
