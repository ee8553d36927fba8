"""The whole platform as real processes, driven over HTTP through the gateway.

One platform per profile for the whole session: ``embedded`` (SQLite files, in-process
counters) and ``mariadb`` (a fresh MariaDB database per service, Redis for tokens and rate
limits). Tests use unique e-mails and products, so they can share a running platform.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from commerce.platform import DEFAULT_PORTS, SERVICES, Platform, PlatformConfig
from tests.conftest import RUN_ID, MariaDbDatabases

# Generous login limits so that the suite's own sign-ins never trip them; the rate-limit
# tests lower them on a separate gateway/auth pair where they need to.
SYSTEM_ENV = {
    "AUTH_LOGIN_RATE_PER_ACCOUNT": "1000",
    "AUTH_LOGIN_RATE_PER_ADDRESS": "1000",
    # tok_unavailable gives up after this (30 s at most, 25 by default; the bound itself is
    # tested in the payment service's own tests): the system tests wait for the outcome only.
    "PAYMENT_AUTHORIZE_DEADLINE_SECONDS": "4",
}


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port_run(length: int, attempts: int = 50) -> int:
    """The first of ``length`` consecutive free ports (``commerce up --base-port`` takes a
    run of them: gateway, then each service)."""
    for _ in range(attempts):
        base = free_ports(1)[0]
        if base + length > 65535:
            continue
        sockets = [socket.socket() for _ in range(length)]
        try:
            for offset, sock in enumerate(sockets):
                sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError(f"no {length} consecutive free ports found")


@dataclass
class RunningPlatform:
    platform: Platform
    profile: str

    @property
    def gateway_url(self) -> str:
        return self.platform.config.url("gateway")

    def url(self, service: str) -> str:
        return self.platform.config.url(service)

    def metrics_url(self, process: str) -> str:
        return self.platform.config.metrics_url(process)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway_url, timeout=15.0)

    def log_text(self) -> str:
        log_dir = self.platform.config.log_dir
        assert log_dir is not None
        return "\n".join(path.read_text(errors="replace") for path in log_dir.glob("*.log"))


def start_platform(tmp: Path, profile: str, env: dict[str, str]) -> Platform:
    *service_ports, admin_port = free_ports(len(DEFAULT_PORTS) + 1)
    config = PlatformConfig(
        ports=dict(zip(DEFAULT_PORTS, service_ports, strict=True)),
        gateway_admin_port=admin_port,
        var_dir=tmp / "var",
        log_dir=tmp / "logs",
        extra_env={**SYSTEM_ENV, **env},
    )
    platform = Platform(config)
    platform.start()
    return platform


def mariadb_env(mariadb: MariaDbDatabases, redis_url: str) -> dict[str, str]:
    env = {f"{name.upper()}_DATABASE_URL": mariadb.create(name) for name in SERVICES}
    prefix = f"test:{RUN_ID}:"
    env.update(
        {
            "AUTH_REDIS_URL": redis_url,
            "AUTH_REDIS_KEY_PREFIX": prefix + "auth:",
            "GATEWAY_REDIS_URL": redis_url,
            "GATEWAY_REDIS_KEY_PREFIX": prefix + "gateway:",
            "CART_REDIS_URL": redis_url,
            "CART_REDIS_KEY_PREFIX": prefix + "cart:",
        }
    )
    return env


@pytest.fixture(scope="session", params=["embedded", "mariadb"])
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPlatform]:
    profile = request.param
    env: dict[str, str] = {}
    if profile == "mariadb":
        env = mariadb_env(request.getfixturevalue("mariadb"), request.getfixturevalue("redis_url"))
    platform = start_platform(tmp_path_factory.mktemp(profile), profile, env)
    yield RunningPlatform(platform=platform, profile=profile)
    platform.stop()


@pytest.fixture
def gateway(running: RunningPlatform) -> Iterator[httpx.Client]:
    with running.client() as client:
        yield client
