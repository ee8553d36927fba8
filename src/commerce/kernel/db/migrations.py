"""Alembic, one history per service, driven from code.

Each service keeps ``commerce/<service>/migrations/`` with an ``env.py`` that only calls
:func:`run_env` with its metadata. :func:`upgrade` and :func:`downgrade` run a history on an
async engine from inside a running event loop (start-up, tests, ``commerce migrate``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

VERSION_TABLE = "alembic_version"


def alembic_config(service_package: str, url: str | None = None) -> Config:
    """A Config for ``commerce.<service>.migrations`` without any ini file."""
    config = Config()
    config.set_main_option("script_location", f"{service_package}:migrations")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``."""
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection, target_metadata)
        return
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    assert url, "set sqlalchemy.url or pass a connection"
    asyncio.run(_run_async(url, target_metadata))


def _run_on(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, target_metadata: MetaData) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on, target_metadata)
    finally:
        await engine.dispose()


async def _run_command(engine: AsyncEngine, service_package: str, fn: Any, revision: str) -> None:
    config = alembic_config(service_package)

    def run(sync_connection: Connection) -> None:
        config.attributes["connection"] = sync_connection
        fn(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def upgrade(engine: AsyncEngine, service_package: str, revision: str = "head") -> None:
    await _run_command(engine, service_package, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, service_package: str, revision: str = "base") -> None:
    await _run_command(engine, service_package, command.downgrade, revision)


async def ensure_database(url: str) -> None:
    """Create the MySQL/MariaDB database named in ``url`` if it is missing (no-op on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "mysql" or not parsed.database:
        return
    server = create_async_engine(parsed.set(database=""))
    try:
        async with server.begin() as connection:
            name = parsed.database.replace("`", "")
            await connection.execute(
                text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
            )
    finally:
        await server.dispose()
