"""A migrated user database on both backends: a SQLite file and a fresh MariaDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from commerce.kernel.db import Database
from commerce.user.bootstrap import SERVICE_PACKAGE
from tests.integration.conftest import migrated_database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database
