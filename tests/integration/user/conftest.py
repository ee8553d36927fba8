"""A migrated user database on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commerce.kernel.db import Database
from commerce.user.bootstrap import SERVICE_PACKAGE

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'user.db'}"
    return request.getfixturevalue("mariadb").create("user")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        yield database
    finally:
        await database.close()
