"""What the live order status's change feed costs (docs/adr/0065): one poll of the versions
of the watched orders, on SQLite and on MariaDB, beside the read a woken stream makes.

Places ``--orders`` orders in a fresh database, then times ``--polls`` passes of the feed's
query over all of them (what one process pays every ``ORDER_EVENTS_POLL_SECONDS`` while that
many streams wait) and as many snapshot reads of one order (what each woken stream pays).
Prints wall time and the process's CPU per operation, and the CPU share of one core that
polling every 250 ms would take. MariaDB at 127.0.0.1:3306 (root, no password) if reachable.

    .venv/bin/python bench/order_change_feed.py --orders 200 --polls 400
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from commerce.kernel.db import Database
from commerce.order.adapters.outbound.change_feed import PollingOrderChangeFeed
from commerce.order.application.commands import PlaceOrder
from commerce.order.bootstrap import SERVICE_PACKAGE, build_use_cases
from commerce.order.settings import Settings

MARIADB = "mysql+asyncmy://root@127.0.0.1:3306"


async def timed(label: str, count: int, operation: Callable[[], Awaitable[object]]) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await operation()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label}: {wall / count * 1000:.2f} ms wall, {cpu / count * 1000:.2f} ms CPU each")
    return cpu / count


async def measure(url: str, orders: int, polls: int) -> None:
    database = await Database.open(url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        feed = PollingOrderChangeFeed(database.engine, interval=0.25)
        use_cases = build_use_cases(database, Settings(max_held_units_per_user=10**6), feed=feed)
        ids = [
            (await use_cases.place(PlaceOrder(user_id="bench", lines=(("p-1", 1),)))).order.id
            for _ in range(orders)
        ]
        following = ExitStack()
        for order_id in ids:
            following.enter_context(feed.follow(order_id))
        poll_cpu = await timed(f"poll of {orders} watched orders", polls, feed.poll)
        await timed(
            "snapshot read of one order (a woken stream)",
            polls,
            lambda: use_cases.read.snapshot("bench", ids[0]),
        )
        print(f"  polling every 250 ms: {poll_cpu * 4 * 100:.2f}% of one core")
        following.close()
    finally:
        await database.close()


async def on_mariadb(statement: str) -> bool:
    server = create_async_engine(MARIADB)
    try:
        async with server.begin() as connection:
            await connection.execute(text(statement))
        return True
    except OSError:
        return False  # no server: the SQLite figures only
    finally:
        await server.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--polls", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite:")
        await measure(f"sqlite+aiosqlite:///{Path(folder) / 'order.db'}", args.orders, args.polls)
    name = f"bench_feed_{uuid.uuid4().hex[:8]}"
    if await on_mariadb(f"CREATE DATABASE {name}"):
        try:
            print("MariaDB:")
            await measure(f"{MARIADB}/{name}", args.orders, args.polls)
        finally:
            await on_mariadb(f"DROP DATABASE {name}")


if __name__ == "__main__":
    asyncio.run(main())
