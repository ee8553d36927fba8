"""/readyz against real drivers: ready with the server up, 503 while it is unreachable."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from commerce.kernel.db import Database
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.health import ReadinessCheck
from tests.conftest import MariaDbDatabases
from tests.identity import VERIFIER

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def readyz(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/readyz")


def app_with(checks: dict[str, ReadinessCheck]) -> FastAPI:
    return create_service_app(proofs=VERIFIER, title="svc", routers=[], readiness=checks)


async def database_readiness(url: str) -> int:
    database = await Database.open(url, service_package="commerce.kernel", migrate=False)
    try:
        return (await readyz(app_with({"database": database.ping}))).status_code
    finally:
        await database.close()


async def test_sqlite_file_is_ready(tmp_path: Path) -> None:
    assert await database_readiness(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}") == 200


@pytest.fixture
def mariadb_url(mariadb: MariaDbDatabases) -> str:
    return mariadb.create("readyz")  # sync: the fixture runs its own event loop


async def test_mariadb_up_is_ready_and_unreachable_is_not(mariadb_url: str) -> None:
    assert await database_readiness(mariadb_url) == 200
    assert await database_readiness(f"mysql+asyncmy://root@127.0.0.1:{closed_port()}/x") == 503


async def redis_readiness(url: str) -> httpx.Response:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return await readyz(app_with({"redis": client.ping}))
    finally:
        await client.aclose()


async def test_redis_up_is_ready_and_unreachable_is_not(redis_url: str) -> None:
    assert (await redis_readiness(redis_url)).status_code == 200
    down = await redis_readiness(f"redis://127.0.0.1:{closed_port()}/0")
    assert down.status_code == 503
    assert down.json()["detail"] == "Not ready: redis unavailable."
