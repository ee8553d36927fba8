"""Benchmark: sign-ins per second and their latency, through the gateway.

Starts the platform (every service its own process, embedded profile, login limits raised
out of the way) on free ports, or uses a running one given with ``--url``. Then, at the
stated concurrency:

1. HTTP baseline: ``GET /v1/auth/jwks`` through the gateway (gateway + auth, no work);
2. logins: ``POST /v1/auth/login`` with the right password, spread over one account per
   worker (gateway -> auth -> user service: one argon2id verification, one refresh token
   family written, one EdDSA signature).

A sign-in is bounded by its argon2id verification, so the in-process baseline is that
verification alone, with the user service's parameters, on 1 thread and on every core;
the ratio says how much of the machine's argon2 capacity sign-in reaches. Not a test.

    .venv/bin/python bench/login.py [--logins 300] [--concurrency 8] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from stack import CpuMeter, print_machine, started_platform

from commerce.user.settings import Settings as UserSettings

PASSWORD = "correct horse battery staple"
BASELINE_SECONDS = 3.0


@dataclass
class Figures:
    count: int
    seconds: float
    latencies: list[float]
    refused: int = 0

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


LIMITS_OFF = {
    "AUTH_LOGIN_RATE_PER_ACCOUNT": "1000000",
    "AUTH_LOGIN_RATE_PER_ADDRESS": "1000000",
    "GATEWAY_RATE_LIMIT_ENABLED": "false",
}


async def run_workers(
    count: int, concurrency: int, one: Callable[[int], Awaitable[float | None]]
) -> Figures:
    """``one(i)`` for i in 0..count-1 on ``concurrency`` workers; ``None`` = refused."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    latencies: list[float] = []
    refused = 0

    async def worker() -> None:
        nonlocal refused
        while not queue.empty():
            latency = await one(queue.get_nowait())
            if latency is None:
                refused += 1
            else:
                latencies.append(latency)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Figures(len(latencies), time.perf_counter() - started, latencies, refused)


async def measure(
    gateway: str, logins: int, concurrency: int, meter: CpuMeter | None = None
) -> tuple[Figures, Figures]:
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=60.0, limits=limits) as client:
        emails = []
        for _ in range(concurrency):
            email = f"bench-login-{uuid.uuid4().hex[:12]}@example.com"
            response = await client.post("/v1/users", json={"email": email, "password": PASSWORD})
            response.raise_for_status()
            emails.append(email)

        async def jwks(_: int) -> float:
            started = time.perf_counter()
            (await client.get("/v1/auth/jwks")).raise_for_status()
            return time.perf_counter() - started

        async def login(i: int) -> float | None:
            body = {"email": emails[i % len(emails)], "password": PASSWORD}
            started = time.perf_counter()
            response = await client.post("/v1/auth/login", json=body)
            if response.status_code == 429:
                return None
            if response.status_code != 200:
                raise RuntimeError(f"login: {response.status_code} {response.text}")
            return time.perf_counter() - started

        await run_workers(concurrency * 5, concurrency, jwks)  # warm up connections
        http = await run_workers(logins, concurrency, jwks)
        await run_workers(concurrency, concurrency, login)  # warm up
        if meter is not None:
            meter.start()
        signed_in = await run_workers(logins, concurrency, login)
        if meter is not None:
            meter.stop()
        return http, signed_in


def argon2_verifies_per_second(hasher: PasswordHasher, threads: int) -> float:
    """In-process argon2id verifications per second on ``threads`` threads (GIL released)."""
    stored = hasher.hash(PASSWORD)
    deadline = time.perf_counter() + BASELINE_SECONDS

    def spin() -> int:
        done = 0
        while time.perf_counter() < deadline:
            hasher.verify(stored, PASSWORD)
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(lambda _: spin(), range(threads)))
    return total / (time.perf_counter() - started)


# The processes a sign-in passes through; the others only do their idle work meanwhile.
SIGN_IN_PATH = ("gateway", "auth", "user")
TARGET_RATIO = 0.85


def budget_line(used_ms: dict[str, float], hash_ms: float) -> str:
    """What the target ratio leaves a sign-in besides its hash, against what it spends.
    With every core busy, sign-ins reach ``TARGET_RATIO`` of the verifies only if one costs
    at most ``hash_ms / TARGET_RATIO`` of CPU in all (``hash_ms``: one verify's CPU when
    every core hashes)."""
    allowed = hash_ms / TARGET_RATIO - hash_ms
    besides = sum(used_ms.values()) - hash_ms
    idle = sum(ms for name, ms in used_ms.items() if name not in SIGN_IN_PATH)
    return (
        f"besides its hash ({hash_ms:.1f} ms), a sign-in spends {besides:.1f} ms of CPU, "
        f"{idle:.1f} of them in processes it does not pass through (their idle polling); "
        f"a ratio of {TARGET_RATIO} allows {allowed:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=300, help="measured sign-ins")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--url", default=None, help="use this running gateway instead")
    args = parser.parse_args(argv)
    command = [".venv/bin/python", "bench/login.py", f"--logins={args.logins}"]
    command.append(f"--concurrency={args.concurrency}")
    if args.url:
        command.append(f"--url={args.url}")
    cores = os.cpu_count() or 1
    user = UserSettings()
    print(f"# {shlex.join(command)}")
    print_machine("one process per service")
    print(
        f"argon2id parameters (USER_ARGON2_*): time_cost={user.argon2_time_cost} "
        f"memory_cost={user.argon2_memory_cost} KiB parallelism={user.argon2_parallelism} "
        f"max_concurrency={user.argon2_max_concurrency}"
        + (" (this environment's; the running platform's may differ)" if args.url else "")
    )
    meter: CpuMeter | None = None
    if args.url:
        http, logins = asyncio.run(measure(args.url, args.logins, args.concurrency))
        where = f"running platform at {args.url}"
    else:
        with (
            tempfile.TemporaryDirectory(prefix="bench-login-") as workdir,
            started_platform(Path(workdir), LIMITS_OFF) as running,
        ):
            meter = CpuMeter(running.pids())
            http, logins = asyncio.run(
                measure(running.url("gateway"), args.logins, args.concurrency, meter)
            )
        where = "platform started for this run (embedded profile)"
    hasher = PasswordHasher(
        time_cost=user.argon2_time_cost,
        memory_cost=user.argon2_memory_cost,
        parallelism=user.argon2_parallelism,
    )
    one_thread = argon2_verifies_per_second(hasher, 1)
    all_cores = argon2_verifies_per_second(hasher, cores)

    print(f"\n## {where}, concurrency {args.concurrency}")
    print(http.line("GET /v1/auth/jwks (HTTP baseline)"))
    print(logins.line("POST /v1/auth/login"))
    if logins.refused:
        print(f"  {logins.refused} sign-ins refused with 429 (login limits) and left out")
    print(f"{'argon2id verify in-process, 1 thread':<38} {one_thread:8.1f}/s")
    print(f"{f'argon2id verify in-process, {cores} threads':<38} {all_cores:8.1f}/s")
    best = max(one_thread, all_cores)
    print(
        f"ratio logins / best argon2 verifies: {logins.per_second / best:.2f}"
        "  (1.00 = a sign-in costs nothing but its hash)"
    )
    if meter is not None and logins.count:
        used = {name: seconds * 1000 / logins.count for name, seconds in meter.used.items()}
        parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(used.items()))
        print(f"CPU per sign-in: {sum(used.values()):.1f} ms ({parts})")
        print(budget_line(used, hash_ms=1000 * cores / all_cores))
    print(f"rerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
