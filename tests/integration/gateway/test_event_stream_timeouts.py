"""An event stream is quiet between events by design: the gateway waits for its next bytes
up to GATEWAY_EVENT_STREAM_READ_TIMEOUT_SECONDS, not the upstream's read timeout, and still
ends a stream whose upstream went silent for longer (docs/adr/0065)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.gateway.stubs import Stubs
from tests.integration.gateway.test_streaming import BOUND, bearer, gateway_on_a_port
from tests.unit.gateway.keys import SigningKey

pytestmark = pytest.mark.integration

READ_TIMEOUT = 0.3
QUIET = 1.0  # between two events: over the read timeout, under the event stream's


async def test_a_stream_quiet_for_longer_than_the_read_timeout_goes_on(
    stubs: Stubs, signing_key: SigningKey
) -> None:
    async with (
        gateway_on_a_port(
            stubs,
            read_timeout_seconds=READ_TIMEOUT,
            event_stream_read_timeout_seconds=QUIET * 4,
        ) as gateway,
        gateway.stream("GET", "/v1/orders/o-1/events", headers=bearer(signing_key)) as response,
    ):
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), BOUND) == ": connected"
        await asyncio.sleep(QUIET)
        await stubs.events.put("CONFIRMED")
        line = await asyncio.wait_for(anext(lines), BOUND)
        while not line:
            line = await asyncio.wait_for(anext(lines), BOUND)
        assert line == "data: CONFIRMED"
        await stubs.events.put(None)


async def test_a_stream_silent_for_longer_than_its_own_timeout_is_cut(
    stubs: Stubs, signing_key: SigningKey
) -> None:
    async with (
        gateway_on_a_port(
            stubs,
            read_timeout_seconds=QUIET * 4,
            event_stream_read_timeout_seconds=READ_TIMEOUT,
        ) as gateway,
        gateway.stream("GET", "/v1/orders/o-1/events", headers=bearer(signing_key)) as response,
    ):
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), BOUND) == ": connected"
        # Nothing more comes: the gateway gives up on the upstream and ends the exchange short.
        with pytest.raises(httpx.RemoteProtocolError):
            async for _ in lines:
                pass
    await asyncio.wait_for(stubs.stream_closed.wait(), BOUND)
