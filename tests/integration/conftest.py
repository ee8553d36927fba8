"""Databases for adapter tests, on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from commerce.kernel.db import Database


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, then a new MariaDB database named after the folder."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("mariadb").create(request.node.path.parent.name)


@asynccontextmanager
async def migrated_database(url: str, service_package: str) -> AsyncIterator[Database]:
    """The service's database at the head of its Alembic history, closed afterwards."""
    database = await Database.open(url, service_package=service_package, migrate=True)
    try:
        yield database
    finally:
        await database.close()
