"""A migrated cart database on both backends, and the cart stores over SQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from commerce.cart.adapters.outbound.redis_cart_store import RedisCartStore
from commerce.cart.adapters.outbound.sql_cart_store import SqlaCartStore
from commerce.cart.application.ports import CartStore
from commerce.cart.bootstrap import SERVICE_PACKAGE
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from tests.integration.conftest import migrated_database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


@pytest.fixture(params=["sqlite", "mariadb", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where each store in turn keeps carts: a SQLite file, a fresh MariaDB database, Redis."""
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cart.db'}"
    return str(request.getfixturevalue("mariadb").create("cart"))


@pytest.fixture
async def store(store_url: str, redis_prefix: str) -> AsyncIterator[CartStore]:
    """The SQL store on a migrated database, or the Redis store under a key prefix of this
    test's own (its keys removed afterwards)."""
    if not store_url.startswith("redis"):
        async with migrated_database(store_url, SERVICE_PACKAGE) as database:
            yield SqlaCartStore(database.connections, utc_now)
        return
    client = Redis.from_url(store_url)
    try:
        yield RedisCartStore(client, prefix=redis_prefix, checkout_ttl_seconds=3600)
    finally:
        keys = [key async for key in client.scan_iter(match=redis_prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
