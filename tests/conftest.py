"""Shared test fixtures: real MariaDB and Redis, mandatory when CI asks for them.

``COMMERCE_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``) turns an unreachable server into a
failure; without it such tests are skipped, so a laptop without MariaDB still runs the rest.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.identity import proof_environment

# Every service and gateway built by a test (in process or as a child) shares the run's proof
# key pair (tests/identity.py); a child inherits it from this environment.
os.environ.update(proof_environment())

REQUIRE = os.environ.get("COMMERCE_TEST_REQUIRE_SERVICES") == "1"
MYSQL_SERVER_URL = os.environ.get("COMMERCE_TEST_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("COMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:8]
TESTS = Path(__file__).resolve().parent
# A test's kind follows from its directory, whatever its module says (a `pytestmark` in a
# conftest.py marks nothing), so `-m integration` and the like select every test of a kind.
MARKER_OF_DIRECTORY = {"integration": "integration", "system": "system", "deploy": "deploy"}
# The system tests that start processes of their own (a platform with several workers, the
# chaos drill, the bench and load smoke runs, `commerce up` itself, broker and service
# restarts): `make test-heavy`, which CI runs after `make test` (docs/adr/0093).
HEAVY_MODULES = frozenset(
    {
        "test_chaos.py",
        "test_bench_smoke.py",
        "test_load_smoke.py",
        "test_workers.py",
        "test_platform.py",
        "test_ordering_faults.py",
    }
)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        if path.is_relative_to(TESTS):
            marker = MARKER_OF_DIRECTORY.get(path.relative_to(TESTS).parts[0])
            if marker is not None:
                item.add_marker(marker)
            if marker == "system" and path.name in HEAVY_MODULES:
                item.add_marker("heavy")


def unavailable(what: str, error: BaseException) -> None:
    message = f"{what} is unreachable: {type(error).__name__}: {error}"
    if REQUIRE:
        pytest.fail(message + " (required: COMMERCE_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


async def _mysql_admin(statements: list[str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(MYSQL_SERVER_URL + "/", connect_args={"connect_timeout": 3})
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


class MariaDbDatabases:
    """Creates fresh, uniquely named databases for this test run and drops them at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"commerce_test_{RUN_ID}_{label}_{len(self.created)}"
        asyncio.run(_mysql_admin([f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"]))
        self.created.append(name)
        return f"{MYSQL_SERVER_URL}/{name}"

    def drop_all(self) -> None:
        if self.created:
            asyncio.run(_mysql_admin([f"DROP DATABASE IF EXISTS `{n}`" for n in self.created]))


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDbDatabases]:
    try:
        asyncio.run(_mysql_admin(["SELECT 1"]))
    except Exception as error:
        unavailable("MariaDB", error)
    databases = MariaDbDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        unavailable("Redis", error)
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test (or run) uses."""
    return f"test:{RUN_ID}:{uuid.uuid4().hex[:8]}:"
