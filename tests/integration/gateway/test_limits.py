"""Body size limit (413) and per-client rate limit (429), in process and on real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from commerce.gateway.bootstrap import Gateway, create_app
from tests.integration.gateway.conftest import GatewayFactory, gateway_settings
from tests.integration.gateway.servers import free_port
from tests.integration.gateway.stubs import Stubs

pytestmark = pytest.mark.integration


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_a_body_over_the_limit_is_413_and_never_forwarded(
    start_gateway: GatewayFactory, stubs: Stubs
) -> None:
    async with start_gateway(max_body_bytes=1024) as gateway:
        assert_problem(await gateway.post("/v1/users", content=b"x" * 1025), 413)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"y" * 600

        assert_problem(await gateway.post("/v1/users", content=chunks()), 413)
        assert stubs.received == []

        assert (await gateway.post("/v1/users", content=b"x" * 1024)).status_code == 200
        assert len(stubs.last["body"]) == 1024


@asynccontextmanager
async def two_clients(
    stubs: Stubs,
    addresses: tuple[str, str] = ("198.51.100.1", "198.51.100.2"),
    **overrides: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Gateway]]:
    """Two clients (at two addresses) of one gateway replica, and that replica."""
    app = create_app(gateway_settings(stubs, **overrides))
    async with app.router.lifespan_context(app):
        first = httpx.ASGITransport(app=app, client=(addresses[0], 1000))
        second = httpx.ASGITransport(app=app, client=(addresses[1], 1000))
        async with (
            httpx.AsyncClient(transport=first, base_url="http://gateway") as a,
            httpx.AsyncClient(transport=second, base_url="http://gateway") as b,
        ):
            yield a, b, app.state.gateway


LOW_LIMIT = {"rate_limit_requests": 3, "rate_limit_period_seconds": 3600, "rate_limit_burst": 3}


async def test_over_the_rate_limit_is_429_with_retry_after_per_client(stubs: Stubs) -> None:
    async with two_clients(stubs, **LOW_LIMIT) as (first, second, _):
        for _ in range(3):
            assert (await first.get("/v1/products")).status_code == 200

        refused = await first.get("/v1/products")

        assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
        assert (await second.get("/v1/products")).status_code == 200
    assert len(stubs.received) == 4


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_ipv6_clients_of_one_slash_64_share_a_bucket(
    stubs: Stubs, request: pytest.FixtureRequest, store: str
) -> None:
    overrides: dict[str, Any] = dict(LOW_LIMIT)
    if store == "redis":
        overrides["redis_url"] = request.getfixturevalue("redis_url")
        overrides["redis_key_prefix"] = request.getfixturevalue("redis_prefix")
    one_subscriber = ("2001:db8:7:1::10", "2001:db8:7:1:9999::abcd")
    async with two_clients(stubs, one_subscriber, **overrides) as (first, second, _):
        assert (await first.get("/v1/products")).status_code == 200
        assert (await second.get("/v1/products")).status_code == 200
        assert (await first.get("/v1/products")).status_code == 200

        # Per address, each would still have tokens left: rotating within the /64 is no escape.
        assert_problem(await second.get("/v1/products"), 429)


async def test_under_the_default_limit_a_busy_client_never_sees_429(stubs: Stubs) -> None:
    async with two_clients(stubs) as (client, _, _):
        statuses = {(await client.get("/v1/products")).status_code for _ in range(300)}

    assert statuses == {200}


async def test_the_limit_can_be_switched_off(stubs: Stubs) -> None:
    async with two_clients(stubs, **LOW_LIMIT, rate_limit_enabled=False) as (client, _, _):
        statuses = {(await client.get("/v1/products")).status_code for _ in range(10)}

    assert statuses == {200}


async def reconcile(*replicas: Gateway) -> None:
    for replica in replicas:
        assert replica.shared_limit is not None
        await replica.shared_limit.reconcile()


async def test_replicas_share_the_limit_through_redis(
    stubs: Stubs, redis_url: str, redis_prefix: str
) -> None:
    shared = {**LOW_LIMIT, "redis_url": redis_url, "redis_key_prefix": redis_prefix}
    async with (
        two_clients(stubs, **shared) as (replica_one, _, one),
        two_clients(stubs, **shared) as (replica_two, other_client, two),
    ):
        assert (await replica_one.get("/v1/products")).status_code == 200
        assert (await replica_two.get("/v1/products")).status_code == 200
        assert (await replica_one.get("/v1/products")).status_code == 200
        await reconcile(one, two, one)  # what the background rounds do every 0.2 s

        # Each replica let this client in at most twice of 3, yet both now refuse it.
        refused = await replica_two.get("/v1/products")
        assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
        assert_problem(await replica_one.get("/v1/products"), 429)
        assert (await other_client.get("/v1/products")).status_code == 200
        assert (await replica_one.get("/readyz")).json()["checks"]["redis"] == "ok"


async def test_the_background_rounds_share_the_limit_without_being_asked(
    stubs: Stubs, redis_url: str, redis_prefix: str
) -> None:
    shared = {
        **LOW_LIMIT,
        "redis_url": redis_url,
        "redis_key_prefix": redis_prefix,
        "rate_limit_sync_seconds": 0.02,
    }
    async with (
        two_clients(stubs, **shared) as (replica_one, _, _),
        two_clients(stubs, **shared) as (replica_two, _, _),
    ):
        for _ in range(3):
            assert (await replica_one.get("/v1/products")).status_code == 200
        status = 200
        deadline = time.monotonic() + 5  # rounds run every 20 ms: one is enough
        while status != 429 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            status = (await replica_two.get("/v1/products")).status_code
        assert status == 429


async def test_with_redis_down_each_replica_limits_alone_and_is_not_ready(stubs: Stubs) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    async with two_clients(stubs, **LOW_LIMIT, redis_url=dead_redis) as (client, _, _):
        statuses = [(await client.get("/v1/products")).status_code for _ in range(5)]
        ready = await client.get("/readyz")

    assert statuses == [200, 200, 200, 429, 429]
    assert_problem(ready, 503)
