"""A real upstream on a socket, stopped and restarted while the gateway runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from commerce.gateway.bootstrap import create_app
from commerce.gateway.breaker import State
from tests.integration.conftest import serving
from tests.integration.gateway.conftest import CLIENT_ADDRESS, gateway_settings
from tests.integration.gateway.servers import FlakyService, SilentServer, ThreadedServer, free_port
from tests.unit.gateway.keys import SigningKey, jwks

pytestmark = pytest.mark.integration

CLOSED_PORT_URL = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def service(signing_key: SigningKey) -> FlakyService:
    return FlakyService(jwks(signing_key))


@pytest.fixture
def server(service: FlakyService) -> Iterator[ThreadedServer]:
    running = ThreadedServer(service.app(), free_port())
    running.start()
    yield running
    running.stop()


@asynccontextmanager
async def real_gateway(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The gateway app with its real HTTP client (no stub transport)."""
    settings: dict[str, Any] = {
        **upstreams_at(CLOSED_PORT_URL),  # nothing listens there: refused at once
        "retry_backoff_seconds": 0.01,
        "retry_backoff_max_seconds": 0.05,
    }
    app = create_app(gateway_settings(**{**settings, **overrides}))
    async with serving(app, client_address=(CLIENT_ADDRESS, 50000)) as client:
        yield client, app.state.gateway


def upstreams_at(url: str) -> dict[str, str]:
    return {f"{name}_url": url for name in ("user", "auth", "product", "order")}


async def eventually_ok(client: httpx.AsyncClient, path: str, within: float = 15.0) -> int:
    """Polls ``path`` until 200; returns how many 503s it saw first."""
    refused = 0
    deadline = time.monotonic() + within
    while True:
        response = await client.get(path)
        if response.status_code == 200:
            return refused
        assert response.status_code == 503, response.text
        refused += 1
        assert time.monotonic() < deadline, "the gateway did not recover"
        await asyncio.sleep(0.05)


async def test_a_stopped_service_opens_the_breaker_and_a_restart_closes_it(
    server: ThreadedServer, service: FlakyService
) -> None:
    overrides = {
        **upstreams_at(server.url),
        "breaker_failure_threshold": 3,
        "breaker_reset_seconds": 0.2,
        "retry_attempts": 1,
    }
    async with real_gateway(**overrides) as (client, gateway):
        assert (await client.get("/v1/products/p-1")).status_code == 200

        server.stop()
        for _ in range(3):
            failed = await client.get("/v1/products/p-1")
            assert failed.status_code == 503
            assert failed.headers["content-type"] == "application/problem+json"
        assert gateway.breakers["product"].state is State.OPEN

        refused = await client.get("/v1/products/p-1")
        assert refused.status_code == 503
        assert int(refused.headers["retry-after"]) >= 1
        assert "product service is unavailable" in refused.json()["detail"]
        # Another service behind its own breaker is not affected by this one.
        assert gateway.breakers["user"].state is State.CLOSED

        server.start()
        await eventually_ok(client, "/v1/products/p-1")
        assert gateway.breakers["product"].state is State.CLOSED
        assert service.hits[("GET", "/v1/products/p-1")] >= 2


async def test_once_open_requests_fail_fast_without_touching_a_hanging_service() -> None:
    silent = SilentServer()
    await silent.start()
    try:
        overrides = {
            "product_url": silent.url,
            "read_timeout_seconds": 0.2,
            "breaker_failure_threshold": 2,
            "breaker_reset_seconds": 60,
        }
        async with real_gateway(**overrides) as (client, gateway):
            for _ in range(2):
                assert (await client.get("/v1/products/p-1")).status_code == 504
            assert gateway.breakers["product"].state is State.OPEN
            seen = silent.connections

            for _ in range(5):
                assert (await client.get("/v1/products/p-1")).status_code == 503

            assert silent.connections == seen  # nothing reached the service: no timeout waited
    finally:
        await silent.stop()


async def test_gets_are_retried_across_a_brief_outage(
    server: ThreadedServer, service: FlakyService
) -> None:
    service.failures["/v1/products/p-2"] = 2
    async with real_gateway(**upstreams_at(server.url), retry_attempts=3) as (client, _):
        response = await client.get("/v1/products/p-2")

    assert response.status_code == 200
    assert service.hits[("GET", "/v1/products/p-2")] == 3


async def test_a_post_is_never_retried(server: ThreadedServer, service: FlakyService) -> None:
    service.failures["/v1/users"] = 2
    async with real_gateway(**upstreams_at(server.url), retry_attempts=5) as (client, _):
        response = await client.post("/v1/users", json={"email": "a@example.com"})

    assert response.status_code == 503
    assert service.hits[("POST", "/v1/users")] == 1


async def test_a_get_across_a_stop_and_restart_succeeds_with_retries(
    server: ThreadedServer, service: FlakyService
) -> None:
    overrides = {
        **upstreams_at(server.url),
        "retry_attempts": 10,
        "retry_backoff_seconds": 0.2,
        "retry_backoff_max_seconds": 0.5,
        "breaker_failure_threshold": 50,
    }
    async with real_gateway(**overrides) as (client, _):
        server.stop()
        restart = asyncio.get_running_loop().run_in_executor(None, _restart_soon, server)
        response = await client.get("/v1/products/p-3")
        await restart

    assert response.status_code == 200
    assert service.hits[("GET", "/v1/products/p-3")] == 1


def _restart_soon(server: ThreadedServer) -> None:
    time.sleep(0.3)
    server.start()
