"""A migrated order database on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from commerce.kernel.db import Database
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.bootstrap import SERVICE_PACKAGE, build_use_cases
from commerce.order.settings import Settings
from tests.integration.conftest import migrated_database
from tests.unit.order.fakes import FakeClock


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def use_cases(database: Database, clock: FakeClock) -> OrderUseCases:
    settings = Settings(redrive_after_seconds=10, redrive_interval_seconds=5)
    return build_use_cases(database, settings, clock)
