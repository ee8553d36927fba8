"""Messaging against the real broker and real databases (a SQLite file and MariaDB)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, MetaData, String, Table

from commerce.kernel.db import Database
from commerce.kernel.messaging.inbox import inbox_table
from commerce.kernel.messaging.outbox import outbox_table
from tests.broker import embedded_broker  # noqa: F401 - the shared session fixture


class Schema:
    """An outbox, an inbox and a table standing for a handler's effect."""

    def __init__(self) -> None:
        self.metadata = MetaData()
        self.outbox = outbox_table(self.metadata)
        self.inbox = inbox_table(self.metadata)
        self.effects = Table(
            "effects", self.metadata, Column("event_id", String(64), primary_key=True)
        )


@pytest.fixture
def schema() -> Schema:
    return Schema()


@pytest.fixture
async def database(database_url: str, schema: Schema) -> AsyncIterator[Database]:
    database = await Database.open(database_url, service_package="unused", migrate=False)
    async with database.engine.begin() as connection:
        await connection.run_sync(schema.metadata.create_all)
    try:
        yield database
    finally:
        await database.close()
