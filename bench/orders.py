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
   order's ``updated_at - created_at`` (accepted -> final, committed, server clocks).
   ``--rounds`` such runs, each from a settled platform; a shared machine's speed drifts
   within a minute, so the figures printed are the median round's, every round's rate and
   CPU per order beside them;
3. CPU seconds of every process (gateway, services, broker, MariaDB) from /proc over each
   round, per order; resident memory of the stack after the rounds;
4. latency below saturation: orders paced at half the median round's rate.

Not a test: nothing is asserted except that every order ended CONFIRMED.

    .venv/bin/python bench/orders.py [--orders 2000] [--concurrency 64] [--rounds 3]
        [--profiles mariadb]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from stack import (
    CpuMeter,
    RunningPlatform,
    account,
    add_profile_arguments,
    mariadb_pid,
    print_machine,
    resident,
    settled,
    workload_platform,
)

FINAL_DEADLINE_SECONDS = 300.0
# Polled 20 times a second, on the MariaDB whose CPU is measured: through the re-drive's index
# (a PENDING order always awaits an answer), not a scan of every order placed so far, which
# cost 0.7 ms of the server's CPU per poll at 2,600 orders and grew with each round. Were an
# order PENDING with nothing awaited, the bench would stop early and say it was not confirmed.
PENDING_ORDERS = text("SELECT id FROM orders WHERE awaiting IS NOT NULL AND status = 'PENDING'")


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
        return f"{label:<38} {self.per_second:8.1f}/s   {self.latencies_text()}"

    def latency_line(self, label: str) -> str:
        return f"{label:<38} {'':10}   {self.latencies_text()}"

    def latencies_text(self) -> str:
        return (
            f"p50 {self.percentile(50) * 1000:7.1f} ms   p99 {self.percentile(99) * 1000:7.1f} ms"
            f"   (n={len(self.latencies)})"
        )


# --- the platform ----------------------------------------------------------------------


# --- the workload ----------------------------------------------------------------------


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


async def wait_until_final(order_db: str, ids: list[str]) -> tuple[list[float], dict[str, int]]:
    """Waits until none of the orders ``ids`` is PENDING; the saga seconds of each
    (``updated_at - created_at``, committed) and how many ended in each status."""
    engine = create_async_engine(order_db)
    deadline = time.monotonic() + FINAL_DEADLINE_SECONDS
    wanted = set(ids)
    try:
        while True:
            async with engine.connect() as connection:
                pending = (await connection.execute(PENDING_ORDERS)).all()
            if not wanted.intersection(row[0] for row in pending):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(pending)} orders still PENDING")
            await asyncio.sleep(0.05)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, status, created_at, updated_at FROM orders")
                )
            ).all()
    finally:
        await engine.dispose()
    mine = [row for row in rows if row[0] in wanted]
    statuses: dict[str, int] = {}
    for row in mine:
        statuses[row[1]] = statuses.get(row[1], 0) + 1
    return [(_at(row[3]) - _at(row[2])).total_seconds() for row in mine], statuses


def _at(value: datetime | str) -> datetime:
    """A timestamp column as read by a raw query (SQLite gives its text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass
class Round:
    """One full-rate run of ``--orders`` orders: throughput, saga latencies, CPU per order
    of each process (ms)."""

    orders: Figures
    saga: Figures
    cpu: dict[str, float]

    def summary(self) -> str:
        return f"{self.orders.per_second:.1f}/s at {sum(self.cpu.values()):.1f} ms"


@dataclass
class OrderRun:
    baseline: Figures
    # The full-rate rounds in the order run; the figures printed are the median round's.
    rounds: list[Round]
    statuses: dict[str, int]
    # Each process's (RSS, PSS) in bytes, at each phase.
    memory_start: dict[str, tuple[int, int]]
    memory_idle: dict[str, tuple[int, int]]
    memory: dict[str, tuple[int, int]]  # after every round
    # After the first round: the figure to compare across runs with other --rounds (the
    # stack grows with the orders it has seen: the embedded broker keeps its log in memory).
    memory_first_round: dict[str, tuple[int, int]] = field(default_factory=dict)
    paced_rate: float = 0.0
    paced_saga: Figures | None = None
    settle_seconds: float = 0.0
    # At the paced rate: CPU per order summed over the processes, and the cores they kept busy
    # (half the rate is not half the work: a batch then holds fewer messages).
    paced_cpu_ms: float = 0.0
    paced_cores: float = 0.0

    @property
    def median(self) -> Round:
        """The round of median throughput (the lower of the two middle ones if even)."""
        ordered = sorted(self.rounds, key=lambda one: one.orders.per_second)
        return ordered[(len(ordered) - 1) // 2]


async def measure(
    running: RunningPlatform, order_db: str, orders: int, concurrency: int, rounds: int
) -> OrderRun:
    memory_start = resident(running.pids())
    # aiohttp: a client whose pool does not cost more CPU as concurrency grows (httpx's
    # does), so the client does not become the bottleneck it measures.
    async with aiohttp.ClientSession(
        base_url=running.url("gateway"),
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as client:
        seller = await account(client, "seller")
        async with client.post(
            "/v1/products",
            # Enough for every phase (warm-up, each round, half rate): none is rejected.
            json={"name": "Bench item", "price": 1_000, "stock": orders * (rounds + 1) + 200},
            headers=seller,
        ) as product:
            product.raise_for_status()
            product_id = (await product.json())["id"]
        buyers = [await account(client, f"buyer{i}") for i in range(min(concurrency, 32))]
        body = {"items": [{"product_id": product_id, "quantity": 1}]}

        async def read(_: int) -> float:
            started = time.perf_counter()
            async with client.get(f"/v1/products/{product_id}") as response:
                response.raise_for_status()
                await response.read()
            return time.perf_counter() - started

        placed: list[str] = []

        async def place(i: int) -> float:
            started = time.perf_counter()
            headers = buyers[i % len(buyers)]
            async with client.post("/v1/orders", json=body, headers=headers) as response:
                answer = await response.text()
                if response.status != 202:
                    raise RuntimeError(f"POST /v1/orders: {response.status} {answer}")
                placed.append(json.loads(answer)["id"])
            return time.perf_counter() - started

        async def paced(count: int, rate: float) -> list[str]:
            """``count`` orders at ``rate`` per second, each sent on time whatever the
            others do; their ids."""
            placed.clear()
            start = time.perf_counter()
            tasks = []
            for i in range(count):
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(place(i)))
            await asyncio.gather(*tasks)
            return list(placed)

        await run_workers(concurrency * 5, concurrency, read)  # warm up connections, caches
        baseline = await run_workers(max(orders, 1000), concurrency, read)
        await run_workers(concurrency, concurrency, place)  # warm up the saga's consumers
        await wait_until_final(order_db, list(placed))
        placed.clear()

        pids = running.pids()
        memory_idle = resident(pids)
        database = mariadb_pid() if "mysql" in order_db else None
        if database is not None:
            pids["mariadb"] = database
        meter = CpuMeter(pids)
        run = OrderRun(
            baseline=baseline,
            rounds=[],
            statuses={},
            memory_start=memory_start,
            memory_idle=memory_idle,
            memory={},
        )
        for _ in range(rounds):
            # Each round from a settled platform: the last round's tail is not in its CPU.
            await settled(pids)
            placed.clear()
            meter.start()
            started = time.perf_counter()
            await run_workers(orders, concurrency, place)
            saga_seconds, statuses = await wait_until_final(order_db, list(placed))
            elapsed = time.perf_counter() - started
            cpu = meter.stop()
            run.rounds.append(
                Round(
                    orders=Figures(orders, elapsed),
                    saga=Figures(len(saga_seconds), elapsed, saga_seconds),
                    cpu={name: seconds * 1000 / orders for name, seconds in cpu.items()},
                )
            )
            for status, n in statuses.items():
                run.statuses[status] = run.statuses.get(status, 0) + n
            if not run.memory_first_round:
                run.memory_first_round = without_mariadb(resident(pids))
        run.memory = without_mariadb(resident(pids))
        # Latency is only meaningful below saturation: half the rate just measured, once the
        # platform is done with the burst (consumers still reading its last events, relays
        # publishing them) so that the paced orders do not queue behind it.
        run.settle_seconds = await settled(pids)
        run.paced_rate = run.median.orders.per_second / 2
        count = max(50, orders // 4)
        meter.start()
        ids = await paced(count, run.paced_rate)
        paced_seconds, paced_statuses = await wait_until_final(order_db, ids)
        paced_cpu = sum(meter.stop().values())
        run.paced_saga = Figures(count, count / run.paced_rate, paced_seconds)
        run.paced_cpu_ms = paced_cpu * 1000 / count
        run.paced_cores = paced_cpu / meter.seconds
        for status, n in paced_statuses.items():
            run.statuses[status] = run.statuses.get(status, 0) + n
    return run


def without_mariadb(memory: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The stack's own processes: the MariaDB server is metered for CPU, not memory."""
    return {name: used for name, used in memory.items() if name != "mariadb"}


# What every service with a database and a consumer imports before any code of ours runs,
# and the web framework on top: the floor of the stack's RSS, process by process.
LIBRARIES = {
    "mariadb": ("asyncio", "sqlalchemy.ext.asyncio", "asyncmy", "aiokafka"),
    "embedded": ("asyncio", "sqlalchemy.ext.asyncio", "aiosqlite", "aiokafka"),
}
WEB_FRAMEWORK = ("fastapi", "pydantic", "uvicorn")


def imported_rss_mb(modules: tuple[str, ...]) -> float:
    """The RSS of a fresh interpreter that imported ``modules`` and nothing else."""
    script = f"import {', '.join(modules)}, pathlib; print(pathlib.Path('/proc/self/statm')"
    script += ".read_text().split()[1])"
    pages = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return int(pages) * os.sysconf("SC_PAGE_SIZE") / 2**20


def import_floor_line(profile: str) -> str:
    libraries = imported_rss_mb(LIBRARIES[profile])
    with_web = imported_rss_mb(LIBRARIES[profile] + WEB_FRAMEWORK)
    return (
        f"RSS floor of one service process, its libraries imported and nothing else: "
        f"{libraries:.0f} MB (asyncio, SQLAlchemy, the database driver, aiokafka), "
        f"{with_web:.0f} MB with FastAPI, pydantic and uvicorn"
    )


def report(profile: str, concurrency: int, run: OrderRun) -> None:
    print(f"\n## {profile} (concurrency {concurrency})")
    print(run.baseline.line("GET /v1/products/{id} (baseline)"))
    median = run.median
    print(
        f"{'orders placed -> final (end to end)':<38} {median.orders.per_second:8.1f}/s"
        f"   (n={median.orders.count}, {median.orders.seconds:.1f} s; final, every phase: "
        f"{run.statuses})"
    )
    print(median.saga.latency_line("  server-side saga (accepted -> final)"))
    total = sum(median.cpu.values())
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(median.cpu.items()))
    print(f"CPU per order: {total:.1f} ms ({parts})")
    if len(run.rounds) > 1:
        each = ", ".join(one.summary() for one in run.rounds)
        print(f"  rounds, in order: {each} (the lines above: the median round)")
    if run.paced_saga is not None:
        label = (
            f"  saga at half that rate ({run.paced_rate:.0f}/s, "
            f"after {run.settle_seconds:.0f} s to settle)"
        )
        print(run.paced_saga.latency_line(label))
        print(
            f"  CPU per order at that rate: {run.paced_cpu_ms:.1f} ms, "
            f"{run.paced_cores:.2f} of {os.cpu_count()} cores busy"
        )
    phases = (
        ("as started", run.memory_start),
        ("idle after warm-up", run.memory_idle),
        (f"after the first round ({run.median.orders.count} orders)", run.memory_first_round),
        (f"after the run ({len(run.rounds)} rounds)", run.memory),
    )
    for label, memory in phases:
        for measure, index in (("RSS", 0), ("PSS", 1)):
            ordered = sorted(memory.items())
            parts = ", ".join(f"{name} {m[index] / 2**20:.0f}" for name, m in ordered)
            total = sum(m[index] for m in memory.values()) / 2**20
            print(f"{measure} of the stack, {label}: {total:.0f} MB ({parts})")
    print(
        "  (summed RSS counts a page the services share once per service; summed PSS once: "
        "the memory the stack holds)"
    )
    print(import_floor_line(profile))
    if run.statuses.get("CONFIRMED", 0) != sum(run.statuses.values()):
        raise SystemExit(f"not every order was confirmed: {run.statuses}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per profile")
    parser.add_argument("--concurrency", type=int, default=64, help="orders in flight")
    parser.add_argument("--rounds", type=int, default=3, help="full-rate runs; median shown")
    add_profile_arguments(parser)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    command = shlex.join(
        [
            ".venv/bin/python",
            "bench/orders.py",
            f"--orders={args.orders}",
            f"--concurrency={args.concurrency}",
            f"--rounds={args.rounds}",
            f"--profiles={args.profiles}",
        ]
    )
    print(f"# {command}")
    print_machine("one process per service")
    for profile in args.profiles.split(","):
        with workload_platform(profile, args) as (running, db):
            run = asyncio.run(measure(running, db, args.orders, args.concurrency, args.rounds))
        report(profile, args.concurrency, run)
    print(f"\nrerun: {command}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
