"""Benchmark: live order status (Server-Sent Events, docs/adr/0065) with many streams open.

Starts the whole platform per profile (as bench/orders.py does), places ``--streams`` orders
(invoice, one line) and waits until each is CONFIRMED, then, through the gateway:

1. opens one ``GET /v1/orders/{id}/events`` stream per order, all at once, and times each
   until its first event (the order as it is now);
2. holds them all open for ``--idle`` seconds and reads the CPU the gateway and the order
   service spend meanwhile (keep-alives, and the order service's poll of the watched
   orders' versions) per second;
3. cancels every order (``--concurrency`` at a time) and times, per order, from the cancel's
   answer (sent after its commit) to the moment the CANCELLED event reached the client, and
   from the order's ``updated_at`` (stamped before the commit, server clock on this machine)
   to the same moment; then checks that every stream ended after CANCELLED.

Baseline in the same run: ``GET /v1/orders/{id}`` through the gateway (a bare read).
Not a test: nothing is asserted except that every stream saw its order's CANCELLED.

    .venv/bin/python bench/live_status.py [--streams 200] [--profiles mariadb,embedded]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import aiohttp
from stack import (
    CpuMeter,
    RunningPlatform,
    account,
    add_profile_arguments,
    print_machine,
    workload_platform,
)

T = TypeVar("T")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(values: list[float]) -> str:
    if not values:
        return "(none)"
    return (
        f"p50 {percentile(values, 50) * 1000:7.1f} ms   p99 {percentile(values, 99) * 1000:7.1f}"
        f" ms   max {max(values) * 1000:7.1f} ms   (n={len(values)})"
    )


@dataclass
class Stream:
    """One open stream: what arrived, and when (wall clock, comparable to the server's)."""

    order_id: str
    opened_at: float = 0.0
    events: list[tuple[dict, float]] = field(default_factory=list)
    ended: bool = False
    first_event: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled_seen: asyncio.Event = field(default_factory=asyncio.Event)


async def follow(client: aiohttp.ClientSession, stream: Stream, headers: dict[str, str]) -> None:
    stream.opened_at = time.time()
    async with client.get(
        f"/v1/orders/{stream.order_id}/events",
        headers={**headers, "Accept": "text/event-stream"},
    ) as response:
        response.raise_for_status()
        data: list[str] = []
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif not line and data:
                order = json.loads("\n".join(data))
                data = []
                stream.events.append((order, time.time()))
                stream.first_event.set()
                if order["status"] == "CANCELLED":
                    stream.cancelled_seen.set()
    stream.ended = True


async def bounded(concurrency: int, jobs: list[Awaitable[T]]) -> list[T]:
    """Every job, at most ``concurrency`` at a time; their results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def confirmed_orders(
    client: aiohttp.ClientSession, buyer: dict[str, str], count: int, concurrency: int
) -> list[str]:
    seller = await account(client, "seller")
    async with client.post(
        "/v1/products",
        json={"name": "Bench tea", "price": 1_000, "stock": count + 10},
        headers=seller,
    ) as product:
        product.raise_for_status()
        product_id = (await product.json())["id"]

    async def place() -> str:
        body = {"items": [{"product_id": product_id, "quantity": 1}]}
        async with client.post("/v1/orders", json=body, headers=buyer) as response:
            response.raise_for_status()
            return str((await response.json())["id"])

    ids: list[str] = await bounded(concurrency, [place() for _ in range(count)])
    deadline = time.monotonic() + 120
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for order_id in list(pending):
            async with client.get(f"/v1/orders/{order_id}", headers=buyer) as response:
                if (await response.json())["status"] == "CONFIRMED":
                    pending.discard(order_id)
        await asyncio.sleep(0.2)
    if pending:
        raise SystemExit(f"{len(pending)} orders never CONFIRMED")
    return ids


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


async def measure(running: RunningPlatform, streams: int, idle: float, concurrency: int) -> None:
    async with aiohttp.ClientSession(
        base_url=running.url("gateway"),
        connector=aiohttp.TCPConnector(limit=streams + concurrency + 8),
        timeout=aiohttp.ClientTimeout(total=None, sock_read=60),
    ) as client:
        buyer = await account(client, "buyer")
        ids = await confirmed_orders(client, buyer, streams, concurrency)

        async def read(order_id: str) -> float:
            started = time.perf_counter()
            async with client.get(f"/v1/orders/{order_id}", headers=buyer) as response:
                response.raise_for_status()
                await response.read()
            return time.perf_counter() - started

        baseline = await bounded(concurrency, [read(order_id) for order_id in ids])

        pids = running.pids()
        meter = CpuMeter({name: pids[name] for name in ("gateway", "order")})
        followed = [Stream(order_id) for order_id in ids]
        tasks = [asyncio.create_task(follow(client, stream, buyer)) for stream in followed]
        await asyncio.wait_for(
            asyncio.gather(*(stream.first_event.wait() for stream in followed)), 60
        )
        opening = [stream.events[0][1] - stream.opened_at for stream in followed]

        meter.start()
        await asyncio.sleep(idle)
        idle_cpu = meter.stop()

        answered: dict[str, float] = {}

        async def cancel(order_id: str) -> None:
            async with client.post(f"/v1/orders/{order_id}/cancel", headers=buyer) as response:
                response.raise_for_status()
                await response.read()
            answered[order_id] = time.time()

        meter.start()
        await bounded(concurrency, [cancel(order_id) for order_id in ids])
        await asyncio.wait_for(
            asyncio.gather(*(stream.cancelled_seen.wait() for stream in followed)), 60
        )
        cancel_cpu = meter.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)

    from_commit, from_answer = [], []
    for stream in followed:
        order, arrived = next((o, t) for o, t in stream.events if o["status"] == "CANCELLED")
        from_commit.append(arrived - _epoch(order["updated_at"]))
        from_answer.append(arrived - answered[stream.order_id])
    ended = sum(stream.ended for stream in followed)

    print(f"GET /v1/orders/{{id}} (baseline)        {spread(baseline)}")
    print(f"stream opened -> first event           {spread(opening)}")
    per_second = ", ".join(f"{name} {ms * 1000 / idle:.1f}" for name, ms in idle_cpu.items())
    print(f"{streams} streams held {idle:.0f} s: CPU ms per second: {per_second}")
    # updated_at is stamped when the cancel starts, before it waits for the buyer's row
    # (ADR 0063) and commits; the answer leaves after the commit: the two bound the delay.
    print(f"change stamped (updated_at) -> event   {spread(from_commit)}")
    print(f"cancel answered (committed) -> event   {spread(from_answer)}")
    per_change = ", ".join(f"{name} {s * 1000 / streams:.2f}" for name, s in cancel_cpu.items())
    print(f"CPU per cancel delivered to its stream: {per_change} ms (cancel itself included)")
    print(f"streams that ended after CANCELLED: {ended}/{streams}")
    if ended != streams:
        raise SystemExit("not every stream ended after its order's final state")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="streams open at once")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds held while quiet")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    add_profile_arguments(parser)
    args = parser.parse_args(argv)
    command = [".venv/bin/python", "bench/live_status.py", f"--streams={args.streams}"]
    command += [f"--idle={args.idle:g}", f"--profiles={args.profiles}"]
    print(f"# {shlex.join(command)}")
    print_machine("one process per service")
    for profile in args.profiles.split(","):
        print(f"\n## {profile}")
        with workload_platform(profile, args) as (running, _):
            asyncio.run(measure(running, args.streams, args.idle, args.concurrency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
