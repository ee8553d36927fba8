"""Benchmark: what one short transaction costs the service's process, by database layer.

The saga's CPU per order is mostly statements (``bench/saga_hops.py`` counts them: about 16
per order when batches are full, 28 at half that rate). This measures, in this process, the
CPU of the same transaction (INSERT a row, UPDATE it, SELECT it, COMMIT) through:

- the driver alone (asyncmy, and aiomysql beside it): the floor any Python service pays;
- SQLAlchemy Core on each driver, the way the services run it: the kernel's engine (its
  fixed pool, its reset-on-return), statements built once, ``Connections.begin()``;
- SQLAlchemy with no statement at all (checkout, COMMIT, check-in): a transaction's fixed cost.

The difference between the two is what SQLAlchemy's asyncio layer adds (its greenlet per
call, execution context, result buffering): the part of the CPU per order no statement
shape can remove. Not a test. Needs the local MariaDB; uses a scratch database it drops.

    .venv/bin/python bench/db_driver.py [--transactions 3000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiomysql
import asyncmy
import uvloop
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from stack import _mysql, add_server_arguments, print_machine

from commerce.kernel.db.connections import Connections
from commerce.kernel.db.engine import create_engine

ROWS = MetaData()
EVENTS = Table(
    "events",
    ROWS,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("message_key", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
CREATE = (
    "CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, message_key VARCHAR(64) NOT NULL,"
    " payload TEXT NOT NULL, attempts INT NOT NULL, created_at DATETIME(6) NOT NULL)"
)
# About the size of a saga event's envelope.
LINE = {"product_id": "1" * 36, "quantity": 1, "unit_price": 100}
PAYLOAD = json.dumps({"type": "StockReserved", "order_id": "0" * 36, "items": [LINE] * 3})
INSERT_SQL = (
    "INSERT INTO events (message_key, payload, attempts, created_at) VALUES (%s, %s, %s, %s)"
)
UPDATE_SQL = "UPDATE events SET attempts = attempts + 1 WHERE id = %s"
SELECT_SQL = "SELECT id, message_key, payload, attempts, created_at FROM events WHERE id = %s"
ADD = insert(EVENTS)
BUMP = update(EVENTS).where(EVENTS.c.id == bindparam("b_id")).values(attempts=EVENTS.c.attempts + 1)
READ = select(EVENTS).where(EVENTS.c.id == bindparam("b_id"))

Transaction = Callable[[int], Awaitable[None]]


async def cpu_per_transaction(transaction: Transaction, count: int, concurrency: int) -> float:
    """Milliseconds of this process's CPU per ``transaction``, after one warm-up round."""

    async def worker(first: int) -> None:
        for index in range(first, count, concurrency):
            await transaction(index)

    await asyncio.gather(*(worker(first) for first in range(concurrency)))  # warm-up
    started = time.process_time()
    await asyncio.gather(*(worker(first) for first in range(concurrency)))
    return 1000 * (time.process_time() - started) / count


def driver_transaction(pool: Any) -> Transaction:
    """INSERT, UPDATE, SELECT, COMMIT through the driver's own pool and cursor."""

    async def transaction(index: int) -> None:
        async with pool.acquire() as connection:
            async with connection.cursor() as cursor:
                now = datetime.now(UTC).replace(tzinfo=None)
                await cursor.execute(INSERT_SQL, (f"key-{index}", PAYLOAD, 0, now))
                row_id = cursor.lastrowid
                await cursor.execute(UPDATE_SQL, (row_id,))
                await cursor.execute(SELECT_SQL, (row_id,))
                assert (await cursor.fetchone())[0] == row_id
            await connection.commit()

    return transaction


def sqlalchemy_transaction(connections: Connections, *, statements: bool = True) -> Transaction:
    """The same transaction as the services run one (or, without statements, its frame)."""

    async def transaction(index: int) -> None:
        async with connections.begin() as connection:
            if not statements:
                return
            now = datetime.now(UTC).replace(tzinfo=None)
            values = {"message_key": f"key-{index}", "payload": PAYLOAD, "attempts": 0}
            added = await connection.execute(ADD, {**values, "created_at": now})
            row_id = added.inserted_primary_key[0]
            await connection.execute(BUMP, {"b_id": row_id})
            assert (await connection.execute(READ, {"b_id": row_id})).one().id == row_id

    return transaction


async def measure(server_url: str, count: int, concurrency: int) -> dict[str, float]:
    database = f"commerce_bench_driver_{uuid.uuid4().hex[:8]}"
    await _mysql(server_url, [f"CREATE DATABASE {database}"])
    figures: dict[str, float] = {}
    try:
        await _mysql(f"{server_url}/{database}", [CREATE])
        address = urlsplit(server_url)
        options = {
            "host": address.hostname or "127.0.0.1",
            "port": address.port or 3306,
            "user": address.username or "root",
            "password": address.password or "",
            "db": database,
            "minsize": concurrency,
            "maxsize": concurrency,
        }
        for name, module in (("asyncmy", asyncmy), ("aiomysql", aiomysql)):
            pool = await module.create_pool(**options)
            try:
                transaction = driver_transaction(pool)
                figures[f"{name}, driver alone"] = await cpu_per_transaction(
                    transaction, count, concurrency
                )
            finally:
                pool.close()
                await pool.wait_closed()
            url = f"mysql+{name}://{server_url.split('://', 1)[1]}/{database}"
            engine = create_engine(url, pool_size=concurrency)
            try:
                connections = Connections(engine)
                figures[f"{name}, SQLAlchemy Core"] = await cpu_per_transaction(
                    sqlalchemy_transaction(connections), count, concurrency
                )
                if name == "asyncmy":
                    figures[f"{name}, SQLAlchemy, no statement"] = await cpu_per_transaction(
                        sqlalchemy_transaction(connections, statements=False), count, concurrency
                    )
            finally:
                await engine.dispose()
    finally:
        await _mysql(server_url, [f"DROP DATABASE IF EXISTS {database}"])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    add_server_arguments(parser, redis=False)
    args = parser.parse_args(argv)
    command = [".venv/bin/python", "bench/db_driver.py", f"--transactions={args.transactions}"]
    command.append(f"--concurrency={args.concurrency}")
    print(f"# {shlex.join(command)}")
    print_machine("MariaDB on this machine")
    figures = uvloop.run(measure(args.mysql_url, args.transactions, args.concurrency))
    print("\nCPU of this process per transaction (INSERT, UPDATE, SELECT, COMMIT):")
    for name, value in figures.items():
        print(f"  {name:<34} {value:6.3f} ms")
    floor = figures["asyncmy, driver alone"]
    layered = figures["asyncmy, SQLAlchemy Core"]
    print(
        f"SQLAlchemy's layer on asyncmy: {(layered - floor) / 4:.3f} ms per statement "
        f"({layered / floor:.1f}x the driver alone)"
    )
    print(f"\nrerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
