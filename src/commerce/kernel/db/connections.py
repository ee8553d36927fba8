"""Connections: where units of work, relays and queries get their database connection.

The services write SQL statements (SQLAlchemy Core), never ORM objects, so they use plain
connections: an ORM session would add its identity map, flush and event bookkeeping to
every statement and commit for nothing (about a sixth of a short transaction's CPU on
MariaDB; docs/adr/0009). A connection begins a transaction on its first statement and keeps
it until ``commit()`` or ``rollback()``; closing it gives it back to the pool, rolled back.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Connections:
    """Opens pooled connections of one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def dialect_name(self) -> str:
        """``sqlite``, ``mysql``, ...: for the statements that differ by database."""
        return self._engine.dialect.name

    def __call__(self) -> AsyncConnection:
        """A connection, not yet started: use ``async with``, or ``await connection.start()``."""
        return self._engine.connect()

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection in a transaction committed when the block ends without error."""
        return self._engine.begin()
