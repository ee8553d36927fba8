"""Live order status through the gateway (API.md, "Live order status"; docs/adr/0065).

Streams are read with httpx's async client, each on its own connection through the
gateway. Every wait has a generous bound; the time from a change's commit to its event is
printed (p50/max, visible with -s or -rP), not asserted beyond that bound.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.system.accounts import Account, new_account
from tests.system.conftest import RunningPlatform
from tests.system.test_ordering import new_product, place_ok, poll

pytestmark = pytest.mark.system

BOUND = 30.0  # seconds any one awaited event may take, however slow the machine
LATENCY_BOUND = 5.0  # the contract says 1 s; this only catches a change that never came
STREAMS = 200
WRITERS = 16
FINAL = {"DELIVERED", "REJECTED", "CANCELLED"}


@dataclass
class Event:
    id: int
    order: dict[str, Any]
    at: float  # time.monotonic() when it arrived


async def events_of(response: httpx.Response) -> AsyncIterator[Event]:
    """The stream's ``order`` events, as they arrive (comments skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue  # a keep-alive
        if line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
            continue
        if fields:
            assert fields["event"] == "order", fields
            yield Event(int(fields["id"]), json.loads(fields["data"]), time.monotonic())
        fields = {}


def stream_client(running: RunningPlatform, connections: int = 10) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=running.gateway_url,
        timeout=httpx.Timeout(BOUND),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def follow(
    client: httpx.AsyncClient, buyer: Account, order_id: str, **headers: str
) -> Any:  # an async context manager of the streamed response
    return client.stream(
        "GET",
        f"/v1/orders/{order_id}/events",
        headers={**buyer.auth, "Accept": "text/event-stream", **headers},
    )


async def cancel(client: httpx.AsyncClient, buyer: Account, order_id: str) -> dict[str, Any]:
    """Cancel, repeating the 409 the contract says to repeat (the saga changed it meanwhile)."""
    while True:
        response = await client.post(f"/v1/orders/{order_id}/cancel", headers=buyer.auth)
        if response.status_code == 409 and "changed-meanwhile" in response.json()["type"]:
            continue
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def get_order(client: httpx.AsyncClient, buyer: Account, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/orders/{order_id}", headers=buyer.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def buyer_and_order(gateway: httpx.Client) -> tuple[Account, str]:
    """A new buyer and the id of the order it just placed (one unit, paid by invoice)."""
    seller, buyer = new_account(gateway, "seller"), new_account(gateway, "buyer")
    product = new_product(gateway, seller, price=1_000, stock=10)
    return buyer, place_ok(gateway, buyer, [(product["id"], 1)])["id"]


async def test_a_stream_shows_each_state_as_get_does_and_ends_after_a_cancel(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    seller, buyer = new_account(gateway, "seller"), new_account(gateway, "buyer")
    product = new_product(gateway, seller, price=3_000, stock=10)
    # A card that fails twice before it authorizes: the order stays PENDING a little longer.
    flaky_card = {"method": "card", "token": "tok_flaky"}
    line = {"product_id": product["id"], "quantity": 1}
    response = gateway.post(
        "/v1/orders", json={"items": [line], "payment": flaky_card}, headers=buyer.auth
    )
    assert response.status_code == 202, response.text
    order_id = response.json()["id"]
    seen: list[Event] = []
    read_after: list[dict[str, Any]] = []  # GET right after each event
    async with stream_client(running) as client, follow(client, buyer, order_id) as stream:
        assert stream.status_code == 200, await stream.aread()
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = events_of(stream)
        while not seen or seen[-1].order["status"] != "CONFIRMED":
            seen.append(await asyncio.wait_for(anext(events), BOUND))
            read_after.append(await get_order(client, buyer, order_id))
        cancelled = await cancel(client, buyer, order_id)
        last = await asyncio.wait_for(anext(events), BOUND)
        with pytest.raises(StopAsyncIteration):  # the stream ends after a final state
            await asyncio.wait_for(anext(events), BOUND)

    assert seen[0].order["status"] == "PENDING"
    assert [e.id for e in [*seen, last]] == sorted({e.id for e in [*seen, last]})
    bodies = [e.order for e in seen]
    for index, read in enumerate(read_after):
        # Each event is the order as GET shows it then, unless it changed again meanwhile.
        assert read in bodies[index:], (index, read, bodies)
    assert seen[-1].order == read_after[-1]  # CONFIRMED stays until the cancel
    assert last.order == cancelled and last.order["status"] == "CANCELLED"


async def test_last_event_id_sends_only_what_is_newer(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    buyer, order_id = buyer_and_order(gateway)
    async with stream_client(running) as client:
        async with follow(client, buyer, order_id) as stream:
            first = await asyncio.wait_for(anext(events_of(stream)), BOUND)
        # Reconnecting with the id just seen: nothing until the next change, then that one.
        async with follow(client, buyer, order_id, **{"Last-Event-ID": str(first.id)}) as stream:
            events = events_of(stream)
            change = asyncio.create_task(cancel(client, buyer, order_id))
            after = await asyncio.wait_for(anext(events), BOUND)
            while after.order["status"] != "CANCELLED":
                assert after.id > first.id and after.order != first.order
                after = await asyncio.wait_for(anext(events), BOUND)
            await change
        # Final: an older id gets the current state once; one no older gets nothing.
        async with follow(client, buyer, order_id, **{"Last-Event-ID": "0"}) as stream:
            replay = [event async for event in events_of(stream)]
        assert [e.order["status"] for e in replay] == ["CANCELLED"]
        async with follow(client, buyer, order_id, **{"Last-Event-ID": str(10**17)}) as stream:
            assert stream.status_code == 200
            assert await asyncio.wait_for(stream.aread(), BOUND) == b""
        # Refusals come before any stream, as problems.
        stranger = new_account(gateway, "stranger")
        async with follow(client, stranger, order_id) as stream:
            assert stream.status_code == 404
            assert stream.headers["content-type"].startswith("application/problem+json")
        refused = await client.get(f"/v1/orders/{order_id}/events")
        assert refused.status_code == 401


async def test_a_client_leaving_ends_the_stream_in_the_order_service(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    buyer, order_id = buyer_and_order(gateway)
    request_id = f"live-{uuid.uuid4().hex}"
    async with (
        stream_client(running) as client,
        follow(client, buyer, order_id, **{"X-Request-Id": request_id}) as stream,
    ):
        await asyncio.wait_for(anext(events_of(stream)), BOUND)
    # The order service logs a request when it ends: the gateway closed the upstream stream
    # once this client left (the order is not final, so only that can end it).
    poll(
        lambda: any(
            request_id in line and "/events" in line
            for line in running.log_text().splitlines()
            if '"service": "order"' in line or '"service":"order"' in line
        ),
        bool,
        "the order service's log line of the ended stream",
    )


# One profile is enough: 200 placements, streams and cancels take several seconds per
# platform, and the streams work alike on both (the change feed is tested on SQLite and
# MariaDB in tests/integration/order). MariaDB is the production database, and there Redis
# holds the gateway's rate-limit buckets that 200 requests must pass.
@pytest.mark.parametrize("running", ["mariadb"], indirect=True)
async def test_200_streams_at_once_each_see_their_order_cancelled(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    assert running.profile == "mariadb"
    seller, buyer = new_account(gateway, "seller"), new_account(gateway, "buyer")
    product = new_product(gateway, seller, price=100, stock=STREAMS)
    async with stream_client(running, connections=STREAMS + 20) as client:
        # Placements and cancels of one buyer queue on its held units' row (ADR 0063): a few
        # at a time, so none waits out the gateway's read timeout on a busy machine.
        writes = asyncio.Semaphore(WRITERS)

        async def place_one() -> str:
            async with writes:
                response = await client.post(
                    "/v1/orders",
                    json={"items": [{"product_id": product["id"], "quantity": 1}]},
                    headers=buyer.auth,
                )
            assert response.status_code == 202, response.text
            order_id: str = response.json()["id"]
            return order_id

        order_ids = await asyncio.gather(*(place_one() for _ in range(STREAMS)))
        opened = [asyncio.Event() for _ in order_ids]
        arrived: dict[str, float] = {}

        async def watch(index: int, order_id: str) -> None:
            async with follow(client, buyer, order_id) as stream:
                assert stream.status_code == 200
                async for event in events_of(stream):
                    opened[index].set()
                    if event.order["status"] == "CANCELLED":
                        arrived[order_id] = event.at

        watchers = [asyncio.create_task(watch(i, order_id)) for i, order_id in enumerate(order_ids)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), BOUND)
        committed: dict[str, float] = {}

        async def cancel_one(order_id: str) -> None:
            async with writes:
                await cancel(client, buyer, order_id)
            committed[order_id] = time.monotonic()

        await asyncio.gather(*(cancel_one(order_id) for order_id in order_ids))
        await asyncio.wait_for(asyncio.gather(*watchers), BOUND)  # every stream ended

    assert arrived.keys() == set(order_ids)
    # The event may even arrive before the cancel's answer does: count that as 0.
    latencies = sorted(max(0.0, arrived[i] - committed[i]) for i in order_ids)
    print(
        f"[{running.profile}] {STREAMS} streams: cancel answered -> event arrived: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    assert latencies[-1] < LATENCY_BOUND
