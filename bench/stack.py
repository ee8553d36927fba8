"""What every benchmark needs: the platform on free ports, CPU seconds from /proc, wrk, nginx.

Not a test and not part of the package: bench scripts import it as a sibling module.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from commerce.kernel.messaging.embedded_broker import accepts_connections, free_port
from commerce.platform import DEFAULT_PORTS, SERVICES, Platform, PlatformConfig
from commerce.service_processes import forkserver_pid

SERVICE_NAMES = ("gateway", *SERVICES)
DEFAULT_MYSQL = "mysql+asyncmy://root@127.0.0.1:3306"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
QUIET = {f"{name.upper()}_LOG_LEVEL": "warning" for name in SERVICE_NAMES}
PASSWORD = "correct horse battery staple"
# A workload is one client placing many orders: limits that would refuse it are raised. At
# most 32 buyers share every one-unit order of a run, and each CONFIRMED order still holds
# its unit: the per-user cap (ADR 0063) would refuse some, and the bench measures the saga.
WORKLOAD_ENV = {
    "AUTH_LOGIN_RATE_PER_ACCOUNT": "100000",
    "AUTH_LOGIN_RATE_PER_ADDRESS": "100000",
    "GATEWAY_RATE_LIMIT_REQUESTS": "1000000",
    "GATEWAY_RATE_LIMIT_BURST": "1000000",
    "ORDER_MAX_HELD_UNITS_PER_USER": "100000000",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux /proc)."""
    # The command name (field 2) may hold spaces; count the fields after its ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident(pids: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """Each named process's (RSS, PSS) in bytes, from one read of /proc/PID/smaps_rollup (Linux).
    PSS divides each resident page by the number of processes sharing it: summed over the
    processes, what they hold together; summed RSS counts a shared page once per process."""

    def rss_and_pss(pid: int) -> tuple[int, int]:
        sizes = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            field, _, rest = line.partition(":")
            if field in ("Rss", "Pss"):
                sizes[field] = int(rest.split()[0]) * 1024
        return sizes["Rss"], sizes["Pss"]

    return {name: rss_and_pss(pid) for name, pid in pids.items()}


class CpuMeter:
    """CPU seconds used by named processes between ``start()`` and ``stop()``."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self._before: dict[str, float] = {}
        self.used: dict[str, float] = {}
        self._started = self.seconds = 0.0  # seconds: the wall time from start() to stop()

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self._before[name] for name, pid in self.pids.items()}
        self.seconds = time.monotonic() - self._started
        return self.used


async def settled(
    pids: Mapping[str, int], *, idle_share: float = 0.3, window: float = 1.0, limit: float = 60.0
) -> float:
    """Wait until the processes together use less than ``idle_share`` of one core over a
    ``window`` (consumers and relays done with a burst's backlog), at most ``limit`` seconds;
    the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    meter = CpuMeter(pids)
    while loop.time() - started < limit:
        meter.start()
        await asyncio.sleep(window)
        if sum(meter.stop().values()) < idle_share * window:
            break
    return loop.time() - started


def mariadb_pid() -> int | None:
    """The local MariaDB/MySQL server's pid, when one runs on this machine."""
    for name in ("mariadbd", "mysqld"):
        found = subprocess.run(["pidof", name], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.split():
            return int(found.stdout.split()[0])
    return None


@dataclass
class RunningPlatform:
    platform: Platform
    config: PlatformConfig

    def url(self, name: str) -> str:
        return self.config.url(name)

    def pids(self) -> dict[str, int]:
        pids = {name: process.pid for name, process in self.platform.processes.items()}
        forkserver = forkserver_pid()
        if forkserver is not None:  # the services' parent, holding the libraries they share
            pids["forkserver"] = forkserver
        broker = self.platform.broker
        if broker is not None and broker.pid is not None:
            pids["broker"] = broker.pid
        return pids


@contextmanager
def started_platform(
    workdir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[RunningPlatform]:
    """A fresh platform on free ports (embedded broker), stopped afterwards."""
    config = PlatformConfig(
        ports={name: free_port() for name in DEFAULT_PORTS},
        gateway_admin_port=free_port(),
        var_dir=workdir / "var",
        log_dir=workdir / "logs",
        extra_env={**QUIET, **(extra_env or {})},
    )
    platform = Platform(config)
    try:
        platform.start()
        yield RunningPlatform(platform, config)
    finally:
        platform.stop()


async def _mysql(server_url: str, statements: list[str]) -> None:
    engine = create_async_engine(server_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def profile_platform(
    profile: str,
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    mysql_url: str = DEFAULT_MYSQL,
    redis_url: str = DEFAULT_REDIS,
) -> Iterator[tuple[RunningPlatform, str]]:
    """The platform on ``profile`` (``embedded``: SQLite files; ``mariadb``: a fresh database
    per service on the MariaDB server, dropped afterwards, and Redis for auth and the
    gateway, as the README's production-like set-up); with the order database's URL."""
    env = dict(extra_env or {})
    databases: list[str] = []
    order_db = f"sqlite+aiosqlite:///{workdir / 'var' / 'order.db'}"
    if profile == "mariadb":
        run = uuid.uuid4().hex[:8]
        for name in SERVICES:
            database = f"commerce_bench_{run}_{name}"
            databases.append(database)
            env[f"{name.upper()}_DATABASE_URL"] = f"{mysql_url}/{database}"
        order_db = f"{mysql_url}/commerce_bench_{run}_order"
        env["AUTH_REDIS_URL"] = env["GATEWAY_REDIS_URL"] = redis_url
        env["CART_REDIS_URL"] = redis_url
        for name in ("AUTH", "GATEWAY", "CART"):
            env[f"{name}_REDIS_KEY_PREFIX"] = f"bench-{run}:{name.lower()}:"
        asyncio.run(_mysql(mysql_url, [f"CREATE DATABASE `{d}`" for d in databases]))
    elif profile != "embedded":
        raise ValueError(f"unknown profile {profile!r} (embedded or mariadb)")
    try:
        with started_platform(workdir, env) as running:
            yield running, order_db
    finally:
        if databases:
            asyncio.run(_mysql(mysql_url, [f"DROP DATABASE IF EXISTS `{d}`" for d in databases]))


# --- wrk and nginx (Debian packages) ----------------------------------------------------

WRK = shutil.which("wrk")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    # wrk's kinds: connect, read, write, timeout (no answer within wrk's 2 s)
    socket_errors: dict[str, int]

    def line(self, label: str) -> str:
        errors = ""
        if self.non_2xx or any(self.socket_errors.values()):
            kinds = ", ".join(f"{kind} {n}" for kind, n in self.socket_errors.items() if n)
            errors = f"   non-2xx {self.non_2xx}, socket errors: {kinds or 'none'}"
        return (
            f"{label:<46} {self.per_second:8.1f} req/s   p50 {self.p50_ms:7.2f} ms"
            f"   p99 {self.p99_ms:7.2f} ms   (n={self.requests}){errors}"
        )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    url: str, *, connections: int, seconds: float, headers: Mapping[str, str] | None = None
) -> WrkResult:
    """One wrk run (2 threads) with latency percentiles."""
    if WRK is None:
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    threads = min(2, connections)
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    if not (done and rate and p50 and p99):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_ms(done.group(2) + done.group(3)) / 1000,
        per_second=float(rate.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
    )


NGINX_CONF = """\
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream backend {{ server {upstream}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}
}}
"""


@contextmanager
def nginx_proxy(upstream: str) -> Iterator[tuple[str, int]]:
    """nginx (one worker, keep-alive upstream pool) as a plain reverse proxy in front of
    ``upstream`` (host:port); yields its base URL and pid."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed (Debian package nginx-light)")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as directory:
        port = free_port()
        conf = Path(directory) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=directory, upstream=upstream, port=port))
        process = subprocess.Popen(
            [NGINX, "-p", directory, "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not (Path(directory) / "nginx.pid").exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {(Path(directory) / 'error.log')}")
                time.sleep(0.05)
            worker = _nginx_worker(process.pid)
            yield f"http://127.0.0.1:{port}", worker
        finally:
            process.terminate()
            process.wait(10)


@contextmanager
def reference_proxy(upstream: str) -> Iterator[tuple[str, int]]:
    """``bench/reference_proxy.py`` (a minimal aiohttp proxy) in front of ``upstream``
    (host:port); yields its base URL and pid."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("reference_proxy.py")), str(port), upstream]
    )
    try:
        deadline = time.monotonic() + 10
        while not accepts_connections("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the reference proxy did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)


def _nginx_worker(master: int) -> int:
    """The pid of the master's single worker (the one doing the proxying)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists() and children.read_text().split():
            return int(children.read_text().split()[0])
        time.sleep(0.05)
    return master


# --- what the workload scripts share ----------------------------------------------------


@contextmanager
def workload_platform(
    profile: str, args: argparse.Namespace
) -> Iterator[tuple[RunningPlatform, str]]:
    """The platform on ``profile`` for a workload script (raised limits, the servers its
    ``add_profile_arguments`` named), in a working directory dropped afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{profile}-") as workdir,
        profile_platform(
            profile,
            Path(workdir),
            WORKLOAD_ENV,
            mysql_url=args.mysql_url,
            redis_url=args.redis_url,
        ) as started,
    ):
        yield started


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profiles`` (both by default) and the servers the mariadb profile uses."""
    parser.add_argument("--profiles", default="mariadb,embedded")
    add_server_arguments(parser)


def add_server_arguments(parser: argparse.ArgumentParser, *, redis: bool = True) -> None:
    """``--mysql-url`` (and ``--redis-url``): the servers on this machine a bench uses."""
    parser.add_argument(
        "--mysql-url", default=os.environ.get("COMMERCE_TEST_MYSQL_URL", DEFAULT_MYSQL)
    )
    if redis:
        parser.add_argument(
            "--redis-url", default=os.environ.get("COMMERCE_TEST_REDIS_URL", DEFAULT_REDIS)
        )


def print_machine(setting: str) -> None:
    """The line every bench prints under its command: the machine, then its own setting."""
    print(f"# {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {setting}")


async def account(client: aiohttp.ClientSession, label: str) -> dict[str, str]:
    """A new user, signed up and signed in through the gateway: its Authorization header."""
    email = f"bench-{label}-{uuid.uuid4().hex[:10]}@example.com"
    credentials = {"email": email, "password": PASSWORD}
    async with client.post("/v1/users", json=credentials) as response:
        response.raise_for_status()
    async with client.post("/v1/auth/login", json=credentials) as login:
        login.raise_for_status()
        return {"Authorization": f"Bearer {(await login.json())['access_token']}"}
