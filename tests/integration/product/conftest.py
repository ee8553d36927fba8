"""A migrated product database on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commerce.kernel.db import Database
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.bootstrap import SERVICE_PACKAGE


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'product.db'}"
    return request.getfixturevalue("mariadb").create("product")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def catalog(database: Database) -> SqlaCatalog:
    return SqlaCatalog(database)
