"""Benchmark: where an order's saga spends its time, hop by hop, at a paced rate.

Starts the platform on the mariadb profile (a fresh database per service, dropped
afterwards), places one-line orders at ``--rate`` per second for ``--seconds``, waits for
them to settle, then reads every service's outbox and inbox:

- relay: an event's ``created_at`` (committed with its change) -> ``published_at``;
- delivery: ``published_at`` -> the consumer's inbox ``processed_at`` (broker, fetch wait,
  the consumer's own queue);
- saga: the order's ``created_at`` -> ``updated_at`` (accepted -> final);
- statements the MariaDB server ran per order (its global ``Com_*`` counters over the run,
  idle polling included);
- CPU per order of every process (services, broker, MariaDB) over the same span, to set
  beside ``bench/orders.py``'s figure at full rate: paced, batches stay small, and a
  consumer's poll or a relay's round costs nearly as much for one message as for many.

All timestamps come from the servers' clocks on this one machine. Not a test.

    .venv/bin/python bench/saga_hops.py [--rate 70] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from stack import (
    WORKLOAD_ENV,
    CpuMeter,
    account,
    add_server_arguments,
    mariadb_pid,
    print_machine,
    profile_platform,
)

SERVICES_WITH_MESSAGING = ("order", "product", "payment", "cart")
COUNTERS = ("Questions", "Com_select", "Com_insert", "Com_update", "Com_commit", "Com_rollback")
SETTLE_SECONDS = 3.0


async def server_counters(server_url: str) -> dict[str, int]:
    engine = create_async_engine(server_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SHOW GLOBAL STATUS"))).all()
    finally:
        await engine.dispose()
    return {name: int(value) for name, value in rows if name in COUNTERS}


async def place_paced(gateway: str, rate: float, seconds: float, meter: CpuMeter) -> int:
    """One-line orders at ``rate`` per second for ``seconds``; how many were accepted. The
    ``meter`` starts once the accounts and the product exist, with the first order."""
    async with aiohttp.ClientSession(base_url=gateway) as client:
        seller = await account(client, "seller")
        body = {"name": "Hop item", "price": 100, "stock": int(rate * seconds) + 100}
        async with client.post("/v1/products", json=body, headers=seller) as created:
            created.raise_for_status()
            product_id = (await created.json())["id"]
        buyer = await account(client, "buyer")
        line = {"items": [{"product_id": product_id, "quantity": 1}]}

        async def place() -> None:
            async with client.post("/v1/orders", json=line, headers=buyer) as response:
                response.raise_for_status()

        count = int(rate * seconds)
        loop = asyncio.get_running_loop()
        meter.start()
        start = loop.time()
        tasks = []
        for index in range(count):
            await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
            tasks.append(asyncio.create_task(place()))
        await asyncio.gather(*tasks)
        return count


async def hops(database_url: str) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Relay latency per event type and delivery latency per (event type, consumer), in ms,
    over the services' databases (``database_url`` names the order service's)."""
    outbox: dict[str, tuple[str, datetime, datetime | None]] = {}
    inbox: list[tuple[str, str, datetime]] = []
    for service in SERVICES_WITH_MESSAGING:
        engine = create_async_engine(database_url.rsplit("_", 1)[0] + f"_{service}")
        try:
            async with engine.connect() as connection:
                query = "SELECT event_id, event_type, created_at, published_at FROM outbox"
                for event_id, event_type, created, published in await connection.execute(
                    text(query)
                ):
                    outbox[event_id] = (event_type, created, published)
                query = "SELECT event_id, processed_at FROM inbox"
                for event_id, processed in await connection.execute(text(query)):
                    inbox.append((service, event_id, processed))
        finally:
            await engine.dispose()
    relay: dict[str, list[float]] = defaultdict(list)
    for event_type, created, published in outbox.values():
        if published is not None:
            relay[event_type].append((published - created).total_seconds() * 1000)
    delivery: dict[str, list[float]] = defaultdict(list)
    for consumer, event_id, processed in inbox:
        if event_id in outbox and outbox[event_id][2] is not None:
            event_type, _, published = outbox[event_id]
            assert published is not None
            label = f"{event_type} -> {consumer}"
            delivery[label].append((processed - published).total_seconds() * 1000)
    return relay, delivery


async def saga_ms(order_db: str) -> list[float]:
    engine = create_async_engine(order_db)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(text("SELECT created_at, updated_at FROM orders"))
            ).all()
    finally:
        await engine.dispose()
    return [(updated - created).total_seconds() * 1000 for created, updated in rows]


def spread(values: list[float]) -> str:
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return f"p50 {at(50):6.1f}   p90 {at(90):6.1f}   max {ordered[-1]:6.1f} ms   (n={len(values)})"


async def measure(
    gateway: str, order_db: str, mysql_url: str, rate: float, seconds: float, pids: dict[str, int]
) -> None:
    meter = CpuMeter(pids)
    before = await server_counters(mysql_url)
    count = await place_paced(gateway, rate, seconds, meter)
    await asyncio.sleep(SETTLE_SECONDS)
    used = meter.stop()
    after = await server_counters(mysql_url)
    relay, delivery = await hops(order_db)
    print(f"\n## {count} orders at {rate:g}/s")
    for event_type in sorted(relay):
        print(f"relay    {event_type:<32} {spread(relay[event_type])}")
    for label in sorted(delivery):
        print(f"delivery {label:<32} {spread(delivery[label])}")
    print(f"saga     {'accepted -> final':<32} {spread(await saga_ms(order_db))}")
    per_order = {name: (after[name] - before[name]) / count for name in COUNTERS}
    print(
        "statements per order (MariaDB, idle polling included): "
        + ", ".join(f"{name.removeprefix('Com_')} {value:.1f}" for name, value in per_order.items())
    )
    spent = ", ".join(f"{name} {1000 * used[name] / count:.1f}" for name in sorted(used))
    span = meter.seconds
    print(
        f"CPU per order: {1000 * sum(used.values()) / count:.1f} ms ({spent}); "
        f"{sum(used.values()) / span:.2f} of {os.cpu_count()} cores over the {span:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=70.0, help="orders per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long orders are placed")
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    command = [".venv/bin/python", "bench/saga_hops.py", f"--rate={args.rate:g}"]
    command.append(f"--seconds={args.seconds:g}")
    print(f"# {shlex.join(command)}")
    print_machine("mariadb profile")
    with (
        tempfile.TemporaryDirectory(prefix="bench-hops-") as workdir,
        profile_platform(
            "mariadb",
            Path(workdir),
            WORKLOAD_ENV,
            mysql_url=args.mysql_url,
            redis_url=args.redis_url,
        ) as (
            running,
            order_db,
        ),
    ):
        pids = running.pids()
        database = mariadb_pid()
        if database is not None:
            pids["mariadb"] = database
        asyncio.run(
            measure(running.url("gateway"), order_db, args.mysql_url, args.rate, args.seconds, pids)
        )
    print(f"\nrerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
