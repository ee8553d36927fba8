"""Gateway limits against the real services: a second gateway process with low limits
(in-process buckets on the embedded profile, Redis on the mariadb one) in front of the
session's services, and the body limit of the session's own gateway."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from commerce.gateway.routing import UPSTREAMS
from tests.system.conftest import RunningPlatform, free_ports

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def strict_gateway(running: RunningPlatform) -> Iterator[str]:
    """Its URL. Five requests per client per hour; the client is the X-Forwarded-For entry
    written by the one proxy we pretend to be."""
    port, admin_port = free_ports(2)
    env = {
        **os.environ,
        **running.platform.config.extra_env,
        # Signs with the running platform's proof key, which its services believe.
        **running.platform.environments()["gateway"],
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "GATEWAY_ADMIN_PORT": str(admin_port),  # not sharing the session gateway's
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_RATE_LIMIT_REQUESTS": "5",
        "GATEWAY_RATE_LIMIT_BURST": "5",
        "GATEWAY_RATE_LIMIT_PERIOD_SECONDS": "3600",
        "GATEWAY_TRUSTED_PROXY_HOPS": "1",
        **{f"GATEWAY_{name.upper()}_URL": running.url(name) for name in UPSTREAMS},
    }
    if "GATEWAY_REDIS_KEY_PREFIX" in env:  # a bucket space of its own
        env["GATEWAY_REDIS_KEY_PREFIX"] += f"strict-{port}:"
    process = subprocess.Popen(
        [sys.executable, "-m", "commerce", "serve", "gateway"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the strict gateway exited at start"
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the strict gateway was not ready in time"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_over_the_client_rate_limit_is_429_with_retry_after(strict_gateway: str) -> None:
    me = {"X-Forwarded-For": "198.51.100.10"}
    with httpx.Client(base_url=strict_gateway, timeout=15) as client:
        statuses = [client.get("/v1/products", headers=me).status_code for _ in range(5)]
        refused = client.get("/v1/products", headers=me)
        someone_else = client.get("/v1/products", headers={"X-Forwarded-For": "198.51.100.11"})

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert someone_else.status_code == 200


def test_a_busy_client_under_the_default_limit_never_sees_429(gateway: httpx.Client) -> None:
    statuses = {gateway.get("/v1/products").status_code for _ in range(200)}

    assert statuses == {200}


def test_a_body_over_the_limit_is_413(gateway: httpx.Client) -> None:
    body = b'{"email": "big@example.com", "password": "' + b"x" * (1024 * 1024) + b'"}'

    response = gateway.post("/v1/users", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_the_gateway_publishes_the_state_of_each_circuit(running: RunningPlatform) -> None:
    text = httpx.get(running.metrics_url("gateway"), timeout=10).text

    for upstream in UPSTREAMS:
        assert f'commerce_gateway_circuit_state{{upstream="{upstream}"}} 0.0' in text
