"""The gateway under 512 concurrent connections for 10 s: overload may refuse (503/504, as
problem+json) but never breaks (no other 5xx, no transport error on the client side)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import aiohttp
import httpx
import pytest

from tests.system.accounts import new_account
from tests.system.conftest import RunningPlatform

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.timeout(90)]

CONNECTIONS = 512
SECONDS = 10.0


async def hammer(url: str, headers: dict[str, str]) -> tuple[Counter[int], list[str]]:
    """GET ``url`` on ``CONNECTIONS`` keep-alive connections for ``SECONDS``; the statuses
    seen and every way an answer was wrong."""
    statuses: Counter[int] = Counter()
    wrong: list[str] = []
    deadline = time.monotonic() + SECONDS
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one_connection() -> None:
            while time.monotonic() < deadline:
                try:
                    async with session.get(url, headers=headers) as response:
                        await response.read()
                        statuses[response.status] += 1
                        kind = response.headers.get("content-type", "")
                        if response.status >= 500 and (
                            response.status not in (503, 504) or kind != "application/problem+json"
                        ):
                            wrong.append(f"{response.status} {kind}")
                except (aiohttp.ClientError, TimeoutError) as error:
                    wrong.append(type(error).__name__)

        await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))
    return statuses, wrong


def test_512_connections_for_10_seconds_get_answers_or_clean_refusals(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    seller = new_account(gateway, "load-seller")
    created = gateway.post(
        "/v1/products",
        json={"name": f"Load {uuid.uuid4().hex[:6]}", "price": 1000, "stock": 5},
        headers=seller.auth,
    )
    assert created.status_code == 201, created.text
    url = f"{running.gateway_url}/v1/products/{created.json()['id']}"

    statuses, wrong = asyncio.run(hammer(url, seller.auth))

    assert wrong == [], Counter(wrong).most_common(5)
    assert statuses[200] > CONNECTIONS  # every connection got through at least once, on average
    assert set(statuses) <= {200, 429, 503, 504}, statuses
