"""Benchmark: orders placed -> final per second, server-side saga latency, CPU per order.

Starts the whole platform (every service its own process, the embedded broker) on free
ports with fresh databases, per profile: ``mariadb`` (a new database per service on the
local MariaDB server, dropped afterwards; Redis for auth and the gateway) and ``embedded``
(SQLite files). Then:

1. baseline: ``GET /v1/products/{id}`` through the gateway (no token, one database read),
   the same client, the same concurrency;
2. orders: ``--orders`` one-line orders placed at ``--concurrency`` (each worker POSTs, gets
   its 202, POSTs the next), then the bench waits until no order is PENDING, reading the
   order database directly (so waiting costs the services nothing). Throughput is orders
   over the time from the first POST to the last order final; the saga latency is each
   order's ``updated_at - created_at`` (accepted -> final, committed, server clocks);
3. CPU seconds of every process (gateway, services, broker, MariaDB) from /proc over the
   order phase, per order; resident memory of the stack after the run.

Not a test: nothing is asserted except that every order ended CONFIRMED.

    .venv/bin/python bench/orders.py [--orders 2000] [--concurrency 64] [--profiles mariadb]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from stack import CpuMeter, RunningPlatform, mariadb_pid, rss_bytes, started_platform

PASSWORD = "correct horse battery staple"
DEFAULT_MYSQL = "mysql+asyncmy://root@127.0.0.1:3306"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
FINAL_DEADLINE_SECONDS = 300.0
ENV = {
    "AUTH_LOGIN_RATE_PER_ACCOUNT": "100000",
    "AUTH_LOGIN_RATE_PER_ADDRESS": "100000",
    "GATEWAY_RATE_LIMIT_REQUESTS": "1000000",
    "GATEWAY_RATE_LIMIT_BURST": "1000000",
}


@dataclass
class Figures:
    """One measured phase."""

    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self, label: str) -> str:
        return (
            f"{label:<38} {self.per_second:8.1f}/s   p50 {self.percentile(50) * 1000:7.1f} ms"
            f"   p99 {self.percentile(99) * 1000:7.1f} ms   (n={self.count})"
        )


# --- the platform ----------------------------------------------------------------------


async def _mysql(server_url: str, statements: list[str]) -> None:
    engine = create_async_engine(server_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def platform(
    profile: str, mysql_url: str, redis_url: str, workdir: Path
) -> Iterator[tuple[RunningPlatform, str]]:
    """The running platform and the URL of its order database; dropped afterwards."""
    env = dict(ENV)
    databases: list[str] = []
    order_db = f"sqlite+aiosqlite:///{workdir / 'var' / 'order.db'}"
    if profile == "mariadb":
        run = uuid.uuid4().hex[:8]
        for name in ("user", "auth", "product", "order"):
            database = f"commerce_bench_{run}_{name}"
            databases.append(database)
            env[f"{name.upper()}_DATABASE_URL"] = f"{mysql_url}/{database}"
        order_db = f"{mysql_url}/commerce_bench_{run}_order"
        env["AUTH_REDIS_URL"] = redis_url
        env["GATEWAY_REDIS_URL"] = redis_url
        env["AUTH_REDIS_KEY_PREFIX"] = env["GATEWAY_REDIS_KEY_PREFIX"] = f"bench-{run}:"
        asyncio.run(_mysql(mysql_url, [f"CREATE DATABASE `{d}`" for d in databases]))
    try:
        with started_platform(workdir, env) as running:
            yield running, order_db
    finally:
        if databases:
            asyncio.run(_mysql(mysql_url, [f"DROP DATABASE IF EXISTS `{d}`" for d in databases]))


# --- the workload ----------------------------------------------------------------------


async def account(client: httpx.AsyncClient, label: str) -> dict[str, str]:
    email = f"bench-{label}-{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post("/v1/users", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def run_workers(
    count: int, concurrency: int, one: Callable[[int], Awaitable[float]]
) -> Figures:
    """``one(i)`` for i in 0..count-1 on ``concurrency`` workers; latencies as returned."""
    next_index = 0
    latencies: list[float] = []

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            index, next_index = next_index, next_index + 1
            latencies.append(await one(index))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Figures(count, time.perf_counter() - started, latencies)


async def wait_until_final(order_db: str, count: int) -> tuple[list[float], dict[str, int]]:
    """Waits until ``count`` orders exist and none is PENDING; saga seconds of each, and how
    many ended in each status."""
    engine = create_async_engine(order_db)
    deadline = time.monotonic() + FINAL_DEADLINE_SECONDS
    try:
        while True:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text("SELECT status, COUNT(*) FROM orders GROUP BY status")
                    )
                ).all()
            statuses = {status: int(n) for status, n in rows}
            if sum(statuses.values()) >= count and not statuses.get("PENDING"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"orders still not final: {statuses}")
            await asyncio.sleep(0.05)
        async with engine.connect() as connection:
            times = (
                await connection.execute(text("SELECT created_at, updated_at FROM orders"))
            ).all()
    finally:
        await engine.dispose()
    return [(_at(updated) - _at(created)).total_seconds() for created, updated in times], statuses


def _at(value: datetime | str) -> datetime:
    """A timestamp column as read by a raw query (SQLite gives its text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass
class OrderRun:
    baseline: Figures
    orders: Figures
    saga: Figures
    statuses: dict[str, int]
    cpu: dict[str, float]
    rss: dict[str, int]


async def measure(
    running: RunningPlatform, order_db: str, orders: int, concurrency: int
) -> OrderRun:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gateway = running.url("gateway")
    async with httpx.AsyncClient(base_url=gateway, timeout=60.0, limits=limits) as client:
        seller = await account(client, "seller")
        product = await client.post(
            "/v1/products",
            json={"name": "Bench item", "price": 1_000, "stock": orders * 2},
            headers=seller,
        )
        product.raise_for_status()
        product_id = product.json()["id"]
        buyers = [await account(client, f"buyer{i}") for i in range(min(concurrency, 32))]
        body = {"items": [{"product_id": product_id, "quantity": 1}]}

        async def read(_: int) -> float:
            started = time.perf_counter()
            (await client.get(f"/v1/products/{product_id}")).raise_for_status()
            return time.perf_counter() - started

        async def place(i: int) -> float:
            started = time.perf_counter()
            response = await client.post("/v1/orders", json=body, headers=buyers[i % len(buyers)])
            if response.status_code != 202:
                raise RuntimeError(f"POST /v1/orders: {response.status_code} {response.text}")
            return time.perf_counter() - started

        await run_workers(concurrency * 5, concurrency, read)  # warm up connections, caches
        baseline = await run_workers(max(orders, 1000), concurrency, read)
        await run_workers(concurrency, concurrency, place)  # warm up the saga's consumers
        await wait_until_final(order_db, concurrency)

        pids = running.pids()
        database = mariadb_pid() if "mysql" in order_db else None
        if database is not None:
            pids["mariadb"] = database
        meter = CpuMeter(pids)
        meter.start()
        started = time.perf_counter()
        await run_workers(orders, concurrency, place)
        saga_seconds, statuses = await wait_until_final(order_db, orders + concurrency)
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        rss = {name: rss_bytes(pid) for name, pid in pids.items() if name != "mariadb"}
    return OrderRun(
        baseline=baseline,
        orders=Figures(orders, elapsed),
        saga=Figures(len(saga_seconds), elapsed, saga_seconds),
        statuses=statuses,
        cpu={name: seconds * 1000 / orders for name, seconds in cpu.items()},
        rss=rss,
    )


def report(profile: str, concurrency: int, run: OrderRun) -> None:
    print(f"\n## {profile} (concurrency {concurrency})")
    print(run.baseline.line("GET /v1/products/{id} (baseline)"))
    print(
        f"{'orders placed -> final (end to end)':<38} {run.orders.per_second:8.1f}/s"
        f"   (n={run.orders.count}, {run.orders.seconds:.1f} s; final: {run.statuses})"
    )
    print(run.saga.line("  server-side saga (accepted -> final)").replace("/s", " ", 1))
    total = sum(run.cpu.values())
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(run.cpu.items()))
    print(f"CPU per order: {total:.1f} ms ({parts})")
    rss_mb = sum(run.rss.values()) / 2**20
    parts = ", ".join(f"{name} {b / 2**20:.0f}" for name, b in sorted(run.rss.items()))
    print(f"RSS of the stack: {rss_mb:.0f} MB ({parts})")
    if run.statuses.get("CONFIRMED", 0) != sum(run.statuses.values()):
        raise SystemExit(f"not every order was confirmed: {run.statuses}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per profile")
    parser.add_argument("--concurrency", type=int, default=64, help="orders in flight")
    parser.add_argument("--profiles", default="mariadb,embedded")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("COMMERCE_TEST_MYSQL_URL", DEFAULT_MYSQL)
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("COMMERCE_TEST_REDIS_URL", DEFAULT_REDIS)
    )
    args = parser.parse_args(argv)
    command = shlex.join(
        [
            ".venv/bin/python",
            "bench/orders.py",
            f"--orders={args.orders}",
            f"--concurrency={args.concurrency}",
            f"--profiles={args.profiles}",
        ]
    )
    print(f"# {command}")
    print(f"# {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, one process per service")
    for profile in args.profiles.split(","):
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{profile}-") as workdir,
            platform(profile, args.mysql_url, args.redis_url, Path(workdir)) as (running, db),
        ):
            run = asyncio.run(measure(running, db, args.orders, args.concurrency))
        report(profile, args.concurrency, run)
    print(f"\nrerun: {command}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
