"""The kernel's engines: database errors never carry the values of the statement; a pooled
connection is rolled back on return only when it may hold a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy.event
import sqlalchemy.exc
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.kernel.db import create_engine
from tests.conftest import MariaDbDatabases

pytestmark = pytest.mark.integration


async def test_a_failed_statement_does_not_reveal_its_parameters(database_url: str) -> None:
    metadata = MetaData()
    users = Table(
        "users_t",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("email", String(100)),
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.begin() as connection:
            await connection.execute(insert(users).values(id=1, email="first@example.com"))
        with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
            async with engine.begin() as connection:
                await connection.execute(insert(users).values(id=1, email="secret@example.com"))
    finally:
        await engine.dispose()
    # The database names the clashing key (1); the statement's values stay out of the error.
    assert "secret@example.com" not in str(raised.value)
    assert "parameters hidden" in str(raised.value)


# --- reset on return (docs/adr/0009) -------------------------------------------------------


async def _session_rollbacks(engine: AsyncEngine) -> int:
    """ROLLBACKs the pooled connection has received so far (this statement's own included)."""
    async with engine.connect() as connection:
        row = (await connection.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'"))).one()
    return int(row[1])


async def _in_transaction(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT @@in_transaction"))).scalar_one())


@pytest.fixture
def mariadb_url(mariadb: MariaDbDatabases) -> str:
    return mariadb.create("engine")


@pytest.fixture
async def one_connection_engine(mariadb_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose every checkout, one at a time, gets the same MariaDB connection."""
    engine = create_engine(mariadb_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INT PRIMARY KEY)"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_committed_connection_goes_back_to_the_pool_without_a_rollback(
    one_connection_engine: AsyncEngine,
) -> None:
    engine = one_connection_engine
    before = await _session_rollbacks(engine)
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t VALUES (1)"))
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO t VALUES (2)"))
        await connection.commit()
    async with engine.connect():
        pass  # checked out and back, nothing run
    # Only the reads' own ends: the status read before, and this one.
    assert await _session_rollbacks(engine) == before + 1


async def test_a_connection_left_in_a_transaction_is_rolled_back_on_return(
    one_connection_engine: AsyncEngine,
) -> None:
    engine = one_connection_engine
    async with engine.connect() as connection:
        # Straight through the driver: SQLAlchemy does not know a transaction is open, the
        # server does (the pool's last line of defence, whoever left the transaction open).
        raw = await connection.get_raw_connection()
        cursor = raw.driver_connection.cursor()
        await cursor.execute("INSERT INTO t VALUES (1)")
        await cursor.close()
    assert await _in_transaction(engine) == 0
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id FROM t"))).all()
    assert rows == []


# --- a fixed pool (docs/adr/0009, later section) -------------------------------------------


async def test_steady_concurrency_reuses_its_connections_instead_of_opening_new_ones(
    mariadb_url: str,
) -> None:
    engine = create_engine(mariadb_url, pool_size=4)
    opened: list[object] = []
    sqlalchemy.event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
    busy = asyncio.Event()
    inside = 0

    async def read() -> None:
        nonlocal inside
        async with engine.connect() as connection:
            inside += 1
            if inside == 4:
                busy.set()
            await busy.wait()  # the pool's size in use at once, every round
            await connection.execute(text("SELECT SLEEP(0.01)"))

    async def concurrent_reads(count: int) -> None:
        nonlocal inside
        busy.clear()
        inside = 0
        await asyncio.gather(*(read() for _ in range(count)))

    try:
        await concurrent_reads(4)  # opens the pool's connections
        assert len(opened) == 4
        for _ in range(5):
            # More readers than connections: the extra ones wait for a connection instead
            # of each opening (and, on return, closing) one of its own.
            await concurrent_reads(6)
        assert len(opened) == 4
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
