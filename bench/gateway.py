"""Benchmark: what the gateway costs on a product read.

``GET /v1/products/{id}`` straight to the product service, and the same read through the
gateway with a bearer token (so the gateway verifies an EdDSA signature, applies the header
policy, the rate limit and the breaker, and forwards over its connection pool). Both are
measured in the same run, in alternating rounds, with the same client, and printed with the
gateway/direct ratios. Not a test: nothing is asserted.

Starts the platform (every service its own process, embedded profile, log level warning) on
free ports, or uses a running one given with ``--gateway-url`` and ``--product-url``.

    .venv/bin/python bench/gateway.py [--requests 2000] [--concurrency 16] [--rounds 3]

The load generator is one Python process on the same machine as the servers: on a small
machine it competes with them for CPU, so absolute figures are a floor; the ratio is the
useful number.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from commerce.platform import DEFAULT_PORTS, Platform, PlatformConfig

PASSWORD = "correct horse battery staple"


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by server process

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def cpu_ms_per_request(self, process: str) -> float:
        return self.cpu_seconds.get(process, 0.0) / self.count * 1000 if self.count else 0.0

    def line(self, label: str) -> str:
        return (
            f"{label:<44} {self.per_second:8.1f} req/s   p50 {self.percentile(50) * 1000:6.2f} ms"
            f"   p99 {self.percentile(99) * 1000:6.2f} ms   (n={self.count})"
        )


def free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


CpuProbe = Callable[[], dict[str, float]]


def cpu_probe(pids: dict[str, int]) -> CpuProbe | None:
    """CPU seconds (user + system) used so far by each named process; Linux /proc only."""
    if not Path("/proc/self/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> dict[str, float]:
        used = {}
        for name, pid in pids.items():
            # The command name (field 2) may hold spaces; count fields after its ")".
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks
        return used

    return read


@contextmanager
def started_platform(workdir: Path) -> Iterator[tuple[str, str, CpuProbe | None]]:
    """A fresh embedded platform; gateway URL, product URL, CPU probe. Stopped afterwards."""
    env = {f"{name.upper()}_LOG_LEVEL": "warning" for name in (*DEFAULT_PORTS,)}
    config = PlatformConfig(
        ports=dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True)),
        var_dir=workdir / "var",
        log_dir=workdir / "logs",
        extra_env=env,
    )
    platform = Platform(config)
    try:
        platform.start()
        pids = {name: platform.processes[name].pid for name in ("gateway", "product")}
        yield config.url("gateway"), config.url("product"), cpu_probe(pids)
    finally:
        platform.stop()


async def prepare(client: httpx.AsyncClient, gateway: str) -> tuple[str, str]:
    """A seller, their token and one product; (token, product id)."""
    email = f"bench-gateway-{uuid.uuid4().hex[:12]}@example.com"
    signed_up = await client.post(
        f"{gateway}/v1/users", json={"email": email, "password": PASSWORD}
    )
    signed_up.raise_for_status()
    login = await client.post(
        f"{gateway}/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    login.raise_for_status()
    token = login.json()["access_token"]
    created = await client.post(
        f"{gateway}/v1/products",
        json={"name": "Bench widget", "price": 1000, "stock": 10},
        headers={"Authorization": f"Bearer {token}"},
    )
    created.raise_for_status()
    return token, created.json()["id"]


async def load(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], requests: int, concurrency: int
) -> Figures:
    """``requests`` GETs of ``url`` on ``concurrency`` workers; every answer must be 200."""
    remaining = requests
    figures = Figures()

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            figures.latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    figures.seconds = time.perf_counter() - started
    return figures


async def measure(
    gateway: str,
    product: str,
    requests: int,
    concurrency: int,
    rounds: int,
    probe: CpuProbe | None = None,
) -> tuple[Figures, Figures]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        token, product_id = await prepare(client, gateway)
        path = f"/v1/products/{product_id}"
        direct_url, gateway_url = product + path, gateway + path
        auth = {"Authorization": f"Bearer {token}"}
        await load(client, direct_url, {}, concurrency * 20, concurrency)  # warm up
        await load(client, gateway_url, auth, concurrency * 20, concurrency)
        direct, through = Figures(), Figures()
        for _ in range(rounds):  # alternate, so drift (caches, other load) hits both alike
            for total, url, headers in ((direct, direct_url, {}), (through, gateway_url, auth)):
                before = probe() if probe else {}
                figures = await load(client, url, headers, requests, concurrency)
                after = probe() if probe else {}
                total.latencies.extend(figures.latencies)
                total.seconds += figures.seconds
                for name, used in after.items():
                    total.cpu_seconds[name] = total.cpu_seconds.get(name, 0.0) + used - before[name]
        return direct, through


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="GETs per path per round")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent requests")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per path")
    parser.add_argument("--gateway-url", default=None, help="use this running gateway")
    parser.add_argument("--product-url", default=None, help="and this running product service")
    args = parser.parse_args(argv)
    if bool(args.gateway_url) != bool(args.product_url):
        parser.error("--gateway-url and --product-url go together")
    command = [
        ".venv/bin/python",
        "bench/gateway.py",
        f"--requests={args.requests}",
        f"--concurrency={args.concurrency}",
        f"--rounds={args.rounds}",
    ]
    if args.gateway_url:
        command += [f"--gateway-url={args.gateway_url}", f"--product-url={args.product_url}"]
    print(f"# {shlex.join(command)}")
    print(
        f"# {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, one process per service,"
        " client in this process"
    )
    run = (args.requests, args.concurrency, args.rounds)
    if args.gateway_url:
        direct, through = asyncio.run(measure(args.gateway_url, args.product_url, *run))
        where = "running platform"
    else:
        with (
            tempfile.TemporaryDirectory(prefix="bench-gateway-") as workdir,
            started_platform(Path(workdir)) as (gateway, product, probe),
        ):
            direct, through = asyncio.run(measure(gateway, product, *run, probe=probe))
        where = "platform started for this run (embedded profile, services at log level warning)"
    print(f"\n## {where}; concurrency {args.concurrency}, {args.rounds} rounds x {args.requests}")
    print(direct.line("GET /v1/products/{id} straight to product"))
    print(through.line("GET /v1/products/{id} via gateway + token"))
    print(
        f"ratio gateway/direct: throughput {through.per_second / direct.per_second:.2f}x"
        f"   p50 {through.percentile(50) / direct.percentile(50):.2f}x"
        f"   p99 {through.percentile(99) / direct.percentile(99):.2f}x"
    )
    print(f"added latency at p50: {(through.percentile(50) - direct.percentile(50)) * 1000:.2f} ms")
    if through.cpu_seconds:
        print(
            "server CPU per request (ms): "
            f"direct: product {direct.cpu_ms_per_request('product'):.2f}   "
            f"via gateway: gateway {through.cpu_ms_per_request('gateway'):.2f} + "
            f"product {through.cpu_ms_per_request('product'):.2f}"
        )
    print(f"rerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
