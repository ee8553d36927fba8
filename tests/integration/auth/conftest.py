"""Real stores for the auth adapters: a SQLite file, a MariaDB database and Redis.

Each database is created and migrated once per module; tests use fresh random tokens and
families, so they can share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from commerce.auth.adapters.outbound.redis_token_store import RedisRefreshTokenStore
from commerce.auth.adapters.outbound.sql_token_store import SqlaRefreshTokenStore
from commerce.auth.application.ports import RefreshTokenStore
from commerce.auth.bootstrap import SERVICE_PACKAGE
from commerce.kernel.db import Database, create_engine
from commerce.kernel.db.migrations import ensure_database, upgrade
from tests.conftest import MariaDbDatabases

STORES = ["sqlite", "mariadb", "redis"]


async def _migrate(url: str) -> None:
    await ensure_database(url)
    engine = create_engine(url)
    try:
        await upgrade(engine, SERVICE_PACKAGE)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def sqlite_auth_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("auth-sqlite") / "auth.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(scope="module")
def mariadb_auth_url(mariadb: MariaDbDatabases) -> str:
    url = mariadb.create("auth")
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Which store, and its URL (resolved here, outside the event loop)."""
    fixture = {"sqlite": "sqlite_auth_url", "mariadb": "mariadb_auth_url", "redis": "redis_url"}
    return request.param, request.getfixturevalue(fixture[request.param])


async def drop_keys(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)


@pytest.fixture
async def store(store_kind: tuple[str, str], redis_prefix: str) -> AsyncIterator[RefreshTokenStore]:
    kind, url = store_kind
    if kind == "redis":
        client = Redis.from_url(url)
        yield RedisRefreshTokenStore(client, prefix=redis_prefix)
        await drop_keys(client, redis_prefix)
        await client.aclose()
        return
    database = await Database.open(url, service_package=SERVICE_PACKAGE, migrate=False)
    yield SqlaRefreshTokenStore(database.connections)
    await database.close()
