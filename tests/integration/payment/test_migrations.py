"""The Alembic history as a stairway: every step up, down and up again; head matches the tables."""

from __future__ import annotations

import pytest

from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import downgrade, ensure_database, upgrade
from commerce.payment.adapters.outbound.tables import metadata
from commerce.payment.bootstrap import SERVICE_PACKAGE
from tests.integration.migrations import revisions, schema_drift, table_names

pytestmark = pytest.mark.integration


def test_history_is_linear() -> None:
    assert revisions(SERVICE_PACKAGE) == ["payment_0001", "payment_0002", "payment_0003"]


async def test_stairway(database_url: str) -> None:
    await ensure_database(database_url)
    engine = create_engine(database_url)
    try:
        for revision in revisions(SERVICE_PACKAGE):
            await upgrade(engine, SERVICE_PACKAGE, revision)
            await downgrade(engine, SERVICE_PACKAGE, "-1")
            await upgrade(engine, SERVICE_PACKAGE, revision)
        async with engine.connect() as connection:
            assert await connection.run_sync(schema_drift(metadata)) == []
            assert await connection.run_sync(table_names) == {
                "payments",
                "payment_history",
                "withdrawn_orders",
                "simulated_provider_ledger",
                "outbox",
                "inbox",
                "dead_letters",
                "admin_audit",
            }
        await downgrade(engine, SERVICE_PACKAGE, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(table_names) == set()
    finally:
        await engine.dispose()
