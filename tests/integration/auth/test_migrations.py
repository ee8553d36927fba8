"""Alembic stairway: every revision goes up, down and up again, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from commerce.auth.bootstrap import SERVICE_PACKAGE
from commerce.kernel.db import create_engine
from commerce.kernel.db.migrations import alembic_config, downgrade, upgrade
from tests.conftest import MariaDbDatabases

pytestmark = pytest.mark.integration

TABLES = {"auth_token_families", "auth_refresh_tokens"}


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(SERVICE_PACKAGE))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


async def stairway(url: str) -> None:
    engine = create_engine(url)
    try:
        previous = "base"
        for revision in revisions():
            await upgrade(engine, SERVICE_PACKAGE, revision)
            await downgrade(engine, SERVICE_PACKAGE, previous)
            await upgrade(engine, SERVICE_PACKAGE, revision)
            previous = revision
        assert await table_names(url) == TABLES
        await downgrade(engine, SERVICE_PACKAGE, "base")
        assert await table_names(url) == set()
    finally:
        await engine.dispose()


def test_there_is_one_linear_history() -> None:
    assert revisions()[0] == "auth_0001"


def test_stairway_on_sqlite(tmp_path) -> None:
    asyncio.run(stairway(f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"))


def test_stairway_on_mariadb(mariadb: MariaDbDatabases) -> None:
    asyncio.run(stairway(mariadb.create("auth_stairway")))
