"""Benchmark: what the gateway costs on a product read, against nginx as a plain proxy.

``GET /v1/products/{id}`` with a bearer token through the gateway (token check, header
policy, rate limit, breaker, pooled forward), and the same read through nginx (one worker,
keep-alive upstream pool) and through a minimal aiohttp proxy (``reference_proxy.py``: what
plain Python proxying reaches, no policy) in front of the same product service, in the same
run, driven by wrk (Debian package). CPU per request of each process comes from /proc. Not a test:
nothing is asserted.

    .venv/bin/python bench/gateway.py [--seconds 5] [--rounds 3] [--concurrency 16 256]

wrk runs on the same 2 cores as the servers, so absolute rates are a floor; the ratio to
nginx, measured alike in the same run, is the figure that travels. A shared machine's speed
drifts by 10-30 % within a minute, so the proxies are measured in ``--rounds`` rounds, their
order turned each round, and the ratio is the median of each round's own ratio (runs next to
each other in time); each round's ratio is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from stack import (
    NGINX,
    WRK,
    CpuMeter,
    WrkResult,
    nginx_proxy,
    print_machine,
    profile_platform,
    reference_proxy,
    wrk,
)

PASSWORD = "correct horse battery staple"
# The bench is one client hammering: the per-client rate limit stays on (its cost counts)
# but high enough not to refuse the bench itself.
ENV = {"GATEWAY_RATE_LIMIT_REQUESTS": "1000000", "GATEWAY_RATE_LIMIT_BURST": "1000000"}


async def prepare(gateway: str) -> tuple[str, str]:
    """A seller, their token and one product; (token, product id)."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30.0) as client:
        email = f"bench-gateway-{uuid.uuid4().hex[:12]}@example.com"
        signed_up = await client.post("/v1/users", json={"email": email, "password": PASSWORD})
        signed_up.raise_for_status()
        login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        token = login.json()["access_token"]
        created = await client.post(
            "/v1/products",
            json={"name": "Bench widget", "price": 1000, "stock": 10},
            headers={"Authorization": f"Bearer {token}"},
        )
        created.raise_for_status()
        return token, created.json()["id"]


def measured(
    url: str, meter: CpuMeter, connections: int, seconds: float, headers: dict[str, str]
) -> tuple[WrkResult, dict[str, float]]:
    """One wrk run; its result and the CPU seconds each metered process used meanwhile."""
    meter.start()
    result = wrk(url, connections=connections, seconds=seconds, headers=headers)
    return result, meter.stop()


@dataclass
class Way:
    """One way to the product service (straight, or through one proxy), over its rounds."""

    label: str
    url: str
    headers: dict[str, str]
    runs: list[WrkResult] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def add(self, run: WrkResult, cpu: dict[str, float]) -> None:
        self.runs.append(run)
        for name, seconds in cpu.items():
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + seconds

    def combined(self) -> WrkResult:
        """All rounds as one: requests over seconds; the rounds' median latencies."""
        errors: dict[str, int] = {}
        for run in self.runs:
            for kind, n in run.socket_errors.items():
                errors[kind] = errors.get(kind, 0) + n
        requests = sum(run.requests for run in self.runs)
        seconds = sum(run.seconds for run in self.runs)
        return WrkResult(
            requests=requests,
            seconds=seconds,
            per_second=requests / seconds,
            p50_ms=statistics.median(run.p50_ms for run in self.runs),
            p99_ms=statistics.median(run.p99_ms for run in self.runs),
            non_2xx=sum(run.non_2xx for run in self.runs),
            socket_errors=errors,
        )

    def cpu_ms(self, name: str) -> float:
        """CPU ms per request of process ``name`` over every round of this way."""
        requests = sum(run.requests for run in self.runs)
        return self.cpu_seconds.get(name, 0.0) * 1000 / max(1, requests)


def round_ratios(gated: Way, baseline: Way) -> list[float]:
    """Each round's throughput ratio (its two runs a few seconds apart)."""
    return [
        ours.per_second / theirs.per_second
        for ours, theirs in zip(gated.runs, baseline.runs, strict=True)
    ]


def ratio_line(ratios: list[float]) -> str:
    each = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    return f"{statistics.median(ratios):.2f} (rounds: {each})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each proxy, interleaved")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 256])
    parser.add_argument("--profile", default="mariadb", choices=["mariadb", "embedded"])
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    command = [
        ".venv/bin/python",
        "bench/gateway.py",
        f"--seconds={args.seconds:g}",
        f"--rounds={args.rounds}",
        f"--profile={args.profile}",
        "--concurrency",
        *map(str, args.concurrency),
    ]
    print(f"# {shlex.join(command)}")
    if WRK is None or NGINX is None:
        missing = " and ".join(name for name, path in (("wrk", WRK), ("nginx", NGINX)) if not path)
        print(f"skipped: {missing} not installed (make bench-tools installs them as root)")
        return 0
    print_machine(f"wrk -t2, {args.profile} profile")
    with (
        tempfile.TemporaryDirectory(prefix="bench-gateway-") as workdir,
        profile_platform(args.profile, Path(workdir), ENV) as (running, _),
    ):
        token, product_id = asyncio.run(prepare(running.url("gateway")))
        path = f"/v1/products/{product_id}"
        product_address = running.url("product").removeprefix("http://")
        pids = running.pids()
        with (
            nginx_proxy(product_address) as (nginx_url, nginx_pid),
            reference_proxy(product_address) as (reference_url, reference_pid),
        ):
            meter = CpuMeter(
                {
                    "gateway": pids["gateway"],
                    "product": pids["product"],
                    "nginx": nginx_pid,
                    "reference": reference_pid,
                }
            )
            auth = {"Authorization": f"Bearer {token}"}
            # Warm up every path (connection pools, caches) before measuring.
            wrk(nginx_url + path, connections=16, seconds=2)
            wrk(reference_url + path, connections=16, seconds=2)
            wrk(running.url("gateway") + path, connections=16, seconds=2, headers=auth)
            for connections in args.concurrency:
                direct = Way("straight to product (bare read)", running.url("product"), {})
                proxies = [
                    Way("via nginx (plain proxy, baseline)", nginx_url, auth),
                    Way("via minimal aiohttp proxy (yardstick)", reference_url, auth),
                    Way("via gateway + token", running.url("gateway"), auth),
                ]
                direct.add(*measured(direct.url + path, meter, connections, args.seconds, {}))
                for round_ in range(args.rounds):
                    # The same product process and warm caches; the order turns each round,
                    # so no proxy always runs first (on a machine just idle) or last.
                    turned = proxies[round_ % 3 :] + proxies[: round_ % 3]
                    for way in turned:
                        way.add(
                            *measured(way.url + path, meter, connections, args.seconds, way.headers)
                        )
                proxied, plain, gated = proxies
                rounds = f"{args.rounds} round{'s' if args.rounds > 1 else ''}"
                print(
                    f"\n## GET /v1/products/{{id}}, c={connections}, "
                    f"{args.seconds:g} s per run, {rounds} (rate: all rounds' requests over "
                    "their seconds; p50, p99: the rounds' medians)"
                )
                for way in (direct, *proxies):
                    print(way.combined().line(way.label))
                print(
                    f"gateway/nginx throughput {ratio_line(round_ratios(gated, proxied))}"
                    f"   (target >= 0.9; the minimal aiohttp proxy: "
                    f"{ratio_line(round_ratios(plain, proxied))})"
                )
                print(
                    "CPU per request (ms): "
                    f"bare read: product {direct.cpu_ms('product'):.3f}   "
                    f"nginx path: nginx {proxied.cpu_ms('nginx'):.3f} + "
                    f"product {proxied.cpu_ms('product'):.3f}   "
                    f"aiohttp path: proxy {plain.cpu_ms('reference'):.3f} + "
                    f"product {plain.cpu_ms('product'):.3f}   "
                    f"gateway path: gateway {gated.cpu_ms('gateway'):.3f} + "
                    f"product {gated.cpu_ms('product'):.3f}"
                )
    print(f"\nrerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
