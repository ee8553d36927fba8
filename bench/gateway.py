"""Benchmark: what the gateway costs on a product read, against nginx as a plain proxy.

``GET /v1/products/{id}`` with a bearer token through the gateway (token check, header
policy, rate limit, breaker, pooled forward), and the same read through nginx (one worker,
keep-alive upstream pool) and through a minimal aiohttp proxy (``reference_proxy.py``: what
plain Python proxying reaches, no policy) in front of the same product service, in the same
run, driven by wrk (Debian package). CPU per request of each process comes from /proc. Not a test:
nothing is asserted.

    .venv/bin/python bench/gateway.py [--seconds 10] [--concurrency 16 256]

wrk runs on the same 2 cores as the servers, so absolute rates are a floor; the ratio to
nginx, measured alike in the same run, is the figure that travels.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import tempfile
import uuid
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
    """One wrk run; its result and the CPU ms per request of each metered process."""
    meter.start()
    result = wrk(url, connections=connections, seconds=seconds, headers=headers)
    used = meter.stop()
    per_request = {name: used[name] * 1000 / max(1, result.requests) for name in used}
    return result, per_request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk duration per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 256])
    parser.add_argument("--profile", default="mariadb", choices=["mariadb", "embedded"])
    args = parser.parse_args(argv)
    command = [
        ".venv/bin/python",
        "bench/gateway.py",
        f"--seconds={args.seconds:g}",
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
            # Warm up both paths (connection pools, caches) before measuring.
            wrk(nginx_url + path, connections=16, seconds=2)
            wrk(reference_url + path, connections=16, seconds=2)
            wrk(running.url("gateway") + path, connections=16, seconds=2, headers=auth)
            for connections in args.concurrency:
                # nginx, the bare aiohttp proxy, then the gateway: same product process, same
                # warm caches.
                direct, direct_cpu = measured(
                    running.url("product") + path, meter, connections, args.seconds, {}
                )
                proxied, proxied_cpu = measured(
                    nginx_url + path, meter, connections, args.seconds, auth
                )
                plain, plain_cpu = measured(
                    reference_url + path, meter, connections, args.seconds, auth
                )
                gated, gated_cpu = measured(
                    running.url("gateway") + path, meter, connections, args.seconds, auth
                )
                print(f"\n## GET /v1/products/{{id}}, c={connections}, {args.seconds:g} s each")
                print(direct.line("straight to product (bare read)"))
                print(proxied.line("via nginx (plain proxy, baseline)"))
                print(plain.line("via minimal aiohttp proxy (yardstick)"))
                print(gated.line("via gateway + token"))
                print(
                    f"gateway/nginx throughput {gated.per_second / proxied.per_second:.2f}"
                    f"   (target >= 0.9; the minimal aiohttp proxy: "
                    f"{plain.per_second / proxied.per_second:.2f})"
                )
                print(
                    "CPU per request (ms): "
                    f"bare read: product {direct_cpu['product']:.3f}   "
                    f"nginx path: nginx {proxied_cpu['nginx']:.3f} + "
                    f"product {proxied_cpu['product']:.3f}   "
                    f"aiohttp path: proxy {plain_cpu['reference']:.3f} + "
                    f"product {plain_cpu['product']:.3f}   "
                    f"gateway path: gateway {gated_cpu['gateway']:.3f} + "
                    f"product {gated_cpu['product']:.3f}"
                )
    print(f"\nrerun: {shlex.join(command)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
