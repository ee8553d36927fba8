"""The Alembic history as a stairway: every step up, down and up again; head matches the tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import alembic_config, downgrade, ensure_database, upgrade
from commerce.order.adapters.outbound.tables import metadata
from commerce.order.bootstrap import SERVICE_PACKAGE

pytestmark = pytest.mark.integration


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(SERVICE_PACKAGE))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_history_is_linear() -> None:
    assert revisions() == ["order_0001"]


async def test_stairway(database_url: str) -> None:
    await ensure_database(database_url)
    engine = create_engine(database_url)
    try:
        tables_after: list[set[str]] = []
        for revision in revisions():
            await upgrade(engine, SERVICE_PACKAGE, revision)
            async with engine.connect() as connection:
                tables_after.append(await connection.run_sync(table_names))
            await downgrade(engine, SERVICE_PACKAGE, "-1")
            await upgrade(engine, SERVICE_PACKAGE, revision)
        async with engine.connect() as connection:
            assert await connection.run_sync(schema_drift) == []
        assert tables_after == [{"orders", "order_lines", "outbox", "inbox"}]

        await downgrade(engine, SERVICE_PACKAGE, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()
    finally:
        await engine.dispose()
