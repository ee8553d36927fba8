"""Async SQLAlchemy engines for SQLite (embedded default) and MySQL/MariaDB (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState


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


def _reset_if_in_transaction(
    dbapi_connection: Any, record: ConnectionPoolEntry, reset_state: PoolResetState
) -> None:
    """The pool's reset on return, only for a connection the server says is in a transaction.

    SQLAlchemy's default sends ROLLBACK whenever a connection goes back to the pool, also
    after a COMMIT and after a checkout that ran nothing: one round trip more per
    transaction, a fifth of the statements of an order's saga on MariaDB (docs/adr/0009).
    The driver keeps the server's own in-transaction flag from each reply, so this skips
    exactly the rollbacks that cannot change anything.
    """
    if reset_state.terminate_only or not reset_state.asyncio_safe:
        return  # the connection is being closed, not pooled
    if reset_state.transaction_was_reset:
        return  # the Connection rolled back itself while closing
    in_transaction = getattr(record.driver_connection, "get_transaction_status", None)
    if in_transaction is None or in_transaction():
        dbapi_connection.rollback()


# Connections a process keeps on MySQL/MariaDB unless its settings say otherwise
# (``<SERVICE>_DATABASE_POOL_SIZE`` has the same default).
DEFAULT_POOL_SIZE = 20


def create_engine(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, echo: bool = False
) -> AsyncEngine:
    """Build the service's engine.

    On MySQL/MariaDB the pool is fixed (no overflow): SQLAlchemy closes an overflow
    connection as soon as it is returned to a full pool, so under a steady concurrency above
    the pool's size every checkout past it opened a new connection (TCP, handshake, session
    settings) and closed it again: 36 a second in the product service at 16 concurrent
    reads, about a quarter of its CPU per read (docs/adr/0009, later section). Past
    ``pool_size``, a checkout waits. SQLite keeps SQLAlchemy's default pool (measured no
    better fixed, same ADR)."""
    # hide_parameters: a logged database error must never carry the row it was writing
    # (an e-mail, a password hash, a token hash) into logs or dead-letter headers.
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_concurrency)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=0,
        # No pre-ping: it is a round trip on every checkout. A connection broken by a
        # database restart fails one statement instead (a 503, an outage retry for a
        # consumer), and SQLAlchemy then drops every pooled connection older than that
        # (docs/adr/0006). Recycling stays well under the server's wait_timeout.
        pool_recycle=1800,
        isolation_level="READ COMMITTED",
        # Reset by _reset_if_in_transaction instead.
        pool_reset_on_return=None,
    )
    event.listen(engine.sync_engine.pool, "reset", _reset_if_in_transaction)
    return engine


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query (used by ``/readyz``)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
