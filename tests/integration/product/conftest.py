"""A migrated product database on both backends (a SQLite file and a fresh MariaDB database),
and the order-events processor as the consumer runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from commerce.kernel.db import Database
from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.processing import MessageProcessor, RetryPolicy
from commerce.product.adapters.inbound.events import OrderEventsHandler
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.bootstrap import SERVICE_PACKAGE, build_use_cases
from tests.integration.conftest import migrated_database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


@pytest.fixture
def catalog(database: Database) -> SqlaCatalog:
    return SqlaCatalog(database)


@pytest.fixture
def processor(catalog: SqlaCatalog) -> MessageProcessor:
    """Order events into the product service, with retries short enough for tests."""
    return MessageProcessor(
        OrderEventsHandler(build_use_cases(catalog.unit_of_work, catalog.queries)),
        InMemoryPublisher(),
        group_id="product",
        policy=RetryPolicy(max_attempts=8, backoff_seconds=0.02, max_backoff_seconds=0.2),
    )
