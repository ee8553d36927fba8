"""Bodies stream through the gateway both ways: nothing waits for a whole body.

The gateway runs under uvicorn on a loopback port here (httpx's in-process transport
would buffer the answer and hide what is being tested).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from commerce.gateway.bootstrap import create_app
from tests.integration.gateway.conftest import gateway_settings
from tests.integration.gateway.stubs import Stubs, serve_on_loopback
from tests.unit.gateway.keys import SigningKey

pytestmark = pytest.mark.integration

BOUND = 5.0


@contextlib.asynccontextmanager
async def gateway_on_a_port(stubs: Stubs, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(stubs, **overrides))
    server, task, port = await serve_on_loopback(app, lifespan="on")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=BOUND) as client:
            yield client
    finally:
        server.should_exit = True
        await task


def bearer(key: SigningKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.sign()}"}


async def test_server_sent_events_reach_the_client_as_they_are_written(
    stubs: Stubs, signing_key: SigningKey
) -> None:
    async with (
        gateway_on_a_port(stubs) as gateway,
        gateway.stream("GET", "/v1/orders/o-1/events", headers=bearer(signing_key)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), BOUND) == ": connected"
        for status in ("PENDING", "CONFIRMED"):
            # Each event arrives while the stream is still open upstream.
            await stubs.events.put(status)
            line = await asyncio.wait_for(anext(lines), BOUND)
            while not line:
                line = await asyncio.wait_for(anext(lines), BOUND)
            assert line == f"data: {status}"
        await stubs.events.put(None)


async def test_a_client_leaving_a_stream_closes_it_upstream_too(
    stubs: Stubs, signing_key: SigningKey
) -> None:
    async with gateway_on_a_port(stubs) as gateway:
        async with gateway.stream(
            "GET", "/v1/orders/o-1/events", headers=bearer(signing_key)
        ) as response:
            assert await asyncio.wait_for(anext(response.aiter_lines()), BOUND) == ": connected"
        # The client hung up; the upstream stream must not stay open for ever.
        await asyncio.wait_for(stubs.stream_closed.wait(), BOUND)


async def test_a_chunked_request_body_is_forwarded_intact_without_a_length(
    stubs: Stubs, signing_key: SigningKey
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"part": 1,'
        await asyncio.sleep(0.05)
        yield b' "part2": 2}'

    async with gateway_on_a_port(stubs) as gateway:
        response = await gateway.post("/v1/orders", content=body(), headers=bearer(signing_key))

    assert response.status_code == 200
    assert stubs.last["body"] == '{"part": 1, "part2": 2}'
    sent = {name for name, _ in stubs.last["headers"]}
    assert "transfer-encoding" in sent and "content-length" not in sent


async def test_a_known_length_is_kept_both_ways(stubs: Stubs, signing_key: SigningKey) -> None:
    async with gateway_on_a_port(stubs) as gateway:
        response = await gateway.post(
            "/v1/orders", content=b'{"x": 1}', headers=bearer(signing_key)
        )

    assert response.status_code == 200
    sent = {name: value for name, value in stubs.last["headers"]}
    assert sent["content-length"] == "8"
    assert "transfer-encoding" not in sent
    assert response.headers["content-length"] == str(len(response.content))
