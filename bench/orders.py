"""Benchmark: orders placed -> CONFIRMED per second, and latency, through the gateway.

Starts the whole platform (every service its own process, the embedded broker) once per
profile on free ports with fresh databases: ``embedded`` (SQLite files) and ``mariadb`` (a
new database per service on the MariaDB server, dropped afterwards). Then, at the stated
concurrency:

1. baseline: ``GET /v1/products/{id}`` through the gateway (no token, one database read);
2. orders: each worker places a one-line order and polls it until it is final, then places
   the next (so ``concurrency`` orders are in flight). Client latency runs from sending the
   POST to seeing CONFIRMED (polls back off from 20 to 100 ms, so that polling does not
   become the load); the server's own ``updated_at - created_at`` (accepted -> confirmed,
   committed) is printed beside it.

Prints the figures and the command that reproduces them. Not a test: nothing is asserted
except that every order was confirmed.

    .venv/bin/python bench/orders.py [--orders 400] [--concurrency 32] [--profiles embedded,mariadb]
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import text

from commerce.kernel.messaging.embedded_broker import free_port
from commerce.platform import DEFAULT_PORTS, Platform, PlatformConfig

PASSWORD = "correct horse battery staple"
DEFAULT_MYSQL = "mysql+asyncmy://root@127.0.0.1:3306"
POLL_SECONDS = (0.02, 0.04, 0.06, 0.08, 0.1)  # then every 0.1 s
ORDER_DEADLINE_SECONDS = 120.0


@dataclass
class Figures:
    """One measured phase."""

    count: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self, label: str) -> str:
        return (
            f"{label:<34} {self.per_second:8.1f}/s   p50 {self.percentile(50) * 1000:7.1f} ms"
            f"   p99 {self.percentile(99) * 1000:7.1f} ms   (n={self.count})"
        )


# --- the platform ----------------------------------------------------------------------


async def _mysql(server_url: str, statements: list[str]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server_url + "/")
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def platform(profile: str, mysql_url: str, workdir: Path) -> Iterator[str]:
    """The running platform's gateway URL; everything is stopped and dropped afterwards."""
    env = {
        "AUTH_LOGIN_RATE_PER_ACCOUNT": "100000",
        "AUTH_LOGIN_RATE_PER_ADDRESS": "100000",
        "GATEWAY_RATE_LIMIT_ENABLED": "false",
    }
    for name in ("user", "auth", "product", "order", "gateway"):
        env[f"{name.upper()}_LOG_LEVEL"] = "warning"
    databases: list[str] = []
    if profile == "mariadb":
        run = uuid.uuid4().hex[:8]
        for name in ("user", "auth", "product", "order"):
            database = f"commerce_bench_{run}_{name}"
            databases.append(database)
            env[f"{name.upper()}_DATABASE_URL"] = f"{mysql_url}/{database}"
        asyncio.run(_mysql(mysql_url, [f"CREATE DATABASE `{d}`" for d in databases]))
    ports = {name: free_port() for name in DEFAULT_PORTS}
    # No Kafka configured: the platform runs the embedded broker, as `make run` does.
    config = PlatformConfig(
        ports=ports, var_dir=workdir / "var", log_dir=workdir / "logs", extra_env=env
    )
    running = Platform(config)
    try:
        running.start()
        yield config.url("gateway")
    finally:
        running.stop()
        if databases:
            asyncio.run(_mysql(mysql_url, [f"DROP DATABASE IF EXISTS `{d}`" for d in databases]))


# --- the workload ----------------------------------------------------------------------


async def account(client: httpx.AsyncClient, label: str) -> dict[str, str]:
    email = f"bench-{label}-{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post("/v1/users", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    response = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def run_workers(
    count: int, concurrency: int, one: Callable[[int], Awaitable[float]]
) -> Figures:
    """Run ``one(i)`` for i in 0..count-1 on ``concurrency`` workers; collect its latencies."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            latencies.append(await one(queue.get_nowait()))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Figures(count, time.perf_counter() - started, latencies)


async def measure(gateway: str, orders: int, concurrency: int) -> tuple[Figures, Figures, Figures]:
    limits = httpx.Limits(
        max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2
    )
    async with httpx.AsyncClient(base_url=gateway, timeout=30.0, limits=limits) as client:
        seller = await account(client, "seller")
        product = await client.post(
            "/v1/products",
            json={"name": "Bench item", "price": 1_000, "stock": orders * 2},
            headers=seller,
        )
        product.raise_for_status()
        product_id = product.json()["id"]
        buyers = [await account(client, f"buyer{i}") for i in range(concurrency)]

        async def read(_: int) -> float:
            started = time.perf_counter()
            response = await client.get(f"/v1/products/{product_id}")
            response.raise_for_status()
            return time.perf_counter() - started

        server_side: list[float] = []

        async def order(i: int) -> float:
            buyer = buyers[i % len(buyers)]
            body = {"items": [{"product_id": product_id, "quantity": 1}]}
            started = time.perf_counter()
            response = await client.post("/v1/orders", json=body, headers=buyer)
            if response.status_code != 202:
                raise RuntimeError(f"POST /v1/orders: {response.status_code} {response.text}")
            location = response.headers["location"]
            polls = 0
            while True:
                await asyncio.sleep(POLL_SECONDS[min(polls, len(POLL_SECONDS) - 1)])
                polls += 1
                placed = (await client.get(location, headers=buyer)).json()
                if placed["status"] != "PENDING":
                    break
                if time.perf_counter() - started > ORDER_DEADLINE_SECONDS:
                    raise RuntimeError(f"order {placed['id']} still PENDING")
            if placed["status"] != "CONFIRMED":
                raise RuntimeError(f"order {placed['id']} ended {placed['status']}")
            elapsed = time.perf_counter() - started
            created = datetime.fromisoformat(placed["created_at"])
            server_side.append(
                (datetime.fromisoformat(placed["updated_at"]) - created).total_seconds()
            )
            return elapsed

        await run_workers(concurrency * 5, concurrency, read)  # warm up connections and caches
        baseline = await run_workers(orders, concurrency, read)
        await run_workers(concurrency, concurrency, order)  # warm up the saga's consumers
        server_side.clear()
        confirmed = await run_workers(orders, concurrency, order)
        server = Figures(orders, confirmed.seconds, server_side)
        return baseline, confirmed, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=400, help="orders per profile")
    parser.add_argument("--concurrency", type=int, default=32, help="orders in flight")
    parser.add_argument("--profiles", default="embedded,mariadb")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("COMMERCE_TEST_MYSQL_URL", DEFAULT_MYSQL)
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
    # Everything (clients, gateway, services, broker, database) shares these CPUs: a busy
    # machine shows in both the baseline and the orders, hence the ratio.
    print("# load average before: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    for profile in args.profiles.split(","):
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{profile}-") as workdir,
            platform(profile, args.mysql_url, Path(workdir)) as gateway,
        ):
            baseline, confirmed, server = asyncio.run(
                measure(gateway, args.orders, args.concurrency)
            )
        print(f"\n## {profile} (concurrency {args.concurrency})")
        print(baseline.line("GET /v1/products/{id} (baseline)"))
        print(confirmed.line("order placed -> CONFIRMED (client)"))
        print(server.line("  of which server-side saga"))
        ratio = baseline.per_second / confirmed.per_second
        print(f"{'throughput ratio baseline/orders':<34} {ratio:8.1f}x")
        print("# load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
