"""The benchmark scripts still run: each once, tiny, on the embedded profile (and the orders
one on MariaDB). Their figures are not judged here (bench/ prints them; no timed assertions);
that every figure is printed is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MYSQL_SERVER_URL, unavailable

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]


def bench(script: str, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


def test_the_gateway_bench_prints_every_figure_beside_nginx() -> None:
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            unavailable(tool, FileNotFoundError(f"{tool} (bench/tools.sh installs it)"))

    out = bench("gateway.py", "--seconds=1", "--concurrency", "4", "--profile=embedded")

    for line in (
        "via nginx (plain proxy, baseline)",
        "via minimal aiohttp proxy (yardstick)",
        "via gateway + token",
        "gateway/nginx",
    ):
        assert line in out, out
    assert "gateway path: gateway" in out and "aiohttp path: proxy" in out and "rerun:" in out


def test_the_orders_bench_prints_rate_saga_cpu_and_memory(mariadb: object, redis_url: str) -> None:
    out = bench(
        "orders.py",
        "--orders=20",
        "--concurrency=4",
        "--profiles=mariadb",
        f"--mysql-url={MYSQL_SERVER_URL}",
        f"--redis-url={redis_url}",
    )

    for line in (
        "orders placed -> final",
        "server-side saga",
        "saga at half that rate",
        "CPU per order at that rate:",
        "CPU per order",
        "mariadb ",
        "RSS of the stack, idle",
        "PSS of the stack, after the run",
        "forkserver ",  # the services' parent is part of the stack's CPU and memory
        "RSS floor of one service process",
    ):
        assert line in out, out


def test_the_saga_hops_bench_prints_each_hop_and_the_statements(
    mariadb: object, redis_url: str
) -> None:
    out = bench(
        "saga_hops.py",
        "--rate=10",
        "--seconds=1",
        f"--mysql-url={MYSQL_SERVER_URL}",
        f"--redis-url={redis_url}",
    )

    for line in (
        "relay    OrderPlaced",
        "delivery OrderPlaced -> product",
        "delivery PaymentRequested -> payment",
        "saga     accepted -> final",
        "statements per order",
        "CPU per order:",
        "mariadb ",
    ):
        assert line in out, out


def test_the_driver_bench_prints_each_layer_on_each_driver(mariadb: object) -> None:
    out = bench("db_driver.py", "--transactions=40", f"--mysql-url={MYSQL_SERVER_URL}")

    for line in (
        "asyncmy, driver alone",
        "asyncmy, SQLAlchemy Core",
        "asyncmy, SQLAlchemy, no statement",
        "aiomysql, driver alone",
        "aiomysql, SQLAlchemy Core",
        "SQLAlchemy's layer on asyncmy:",
        "rerun:",
    ):
        assert line in out, out


def test_the_login_bench_prints_the_argon2_ratio() -> None:
    out = bench("login.py", "--logins=8", "--concurrency=2")

    assert "ratio logins / best argon2 verifies" in out, out
    assert "besides its hash" in out and "a ratio of 0.85 allows" in out, out
