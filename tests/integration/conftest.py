"""Shared pieces of adapter tests: databases on both backends (a SQLite file and a fresh
MariaDB database), a service app served in-process, a broker of the test's own and clients
of it (from tests/broker.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from commerce.kernel.db import Database
from commerce.platform import SERVICES
from tests.broker import kafka, own_broker  # noqa: F401  (fixtures of this directory)

# The embedded broker holds a group's first join for about half the session timeout (10 s by
# default): services started here join in well under a second, as the platform's do (2 s).
TEST_SESSION_TIMEOUT_SECONDS = "1.5"


@pytest.fixture(autouse=True)
def _short_consumer_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SERVICES:
        monkeypatch.setenv(
            f"{name.upper()}_CONSUMER_SESSION_TIMEOUT_SECONDS", TEST_SESSION_TIMEOUT_SECONDS
        )


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


@asynccontextmanager
async def serving(
    app: FastAPI, *, client_address: tuple[str, int] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (database, broker clients...) and an HTTP client
    talking to it in-process; ``client_address`` is the peer the app sees."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client_address or ("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client
