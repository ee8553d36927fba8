"""Async SQLAlchemy engines for SQLite (embedded default) and MySQL/MariaDB (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _enable_sqlite_concurrency(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes a second writer wait
    # instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Build the service's engine; pool settings only where the driver pools."""
    # hide_parameters: a logged database error must never carry the row it was writing
    # (an e-mail, a password hash, a token hash) into logs or dead-letter headers.
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_concurrency)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it is a round trip on every checkout. A connection broken by a
        # database restart fails one statement instead (a 503, an outage retry for a
        # consumer), and SQLAlchemy then drops every pooled connection older than that
        # (docs/adr/0006). Recycling stays well under the server's wait_timeout.
        pool_recycle=1800,
        isolation_level="READ COMMITTED",
    )


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query (used by ``/readyz``)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
