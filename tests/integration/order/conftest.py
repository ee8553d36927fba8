"""A migrated order database on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commerce.kernel.db import Database
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.bootstrap import SERVICE_PACKAGE, build_use_cases
from commerce.order.settings import Settings
from tests.unit.order.fakes import FakeClock


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'order.db'}"
    return request.getfixturevalue("mariadb").create("order")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def use_cases(database: Database, clock: FakeClock) -> OrderUseCases:
    settings = Settings(redrive_after_seconds=10, redrive_interval_seconds=5)
    return build_use_cases(database, settings, clock)
