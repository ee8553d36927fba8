"""The cart service against the real Kafka-protocol broker (embedded Tansu), in-process.

Catalog events fill and update the view that carts are shown with; a checkout places its
order through the (stand-in) order service; that order's confirmation on
``commerce.order.events`` drops exactly the ordered lines, once; a rejection changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from commerce.cart.bootstrap import create_app
from commerce.cart.settings import Settings
from commerce.contracts.catalog import PricedLine, ProductCreated, StockReleased, StockReserved
from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.contracts.ordering import OrderConfirmed, OrderRejected
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS
from commerce.kernel.http.gateway_proof import PROOF_HEADER
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from tests.broker import DEADLINE_SECONDS, BrokerClients
from tests.identity import PUBLIC_KEY_FILE, VERIFIER, as_user
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration

BUYER = as_user("buyer-1", "b@example.com")


class StandInOrderService:
    """POST /v1/orders: checks the forwarded proof, places one order per key."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        identity = VERIFIER.verify(request.headers[PROOF_HEADER].encode()).identity
        assert identity is not None and identity.user_id == "buyer-1"
        key = request.headers["idempotency-key"]
        if key in self.keys:
            status = 200
        else:
            self.keys.append(key)
            status = 202
        order_id = f"order-{self.keys.index(key) + 1}"
        body = {"id": order_id, "status": "PENDING", **json.loads(request.content)}
        return httpx.Response(status, json=body, headers={"Location": f"/v1/orders/{order_id}"})


@pytest.fixture
def orders() -> StandInOrderService:
    return StandInOrderService()


@pytest.fixture
async def client(
    own_broker: EmbeddedBroker, database_url: str, tmp_path: Path, orders: StandInOrderService
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        gateway_public_key_file=PUBLIC_KEY_FILE,
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
    )
    # The catalog never has a product: whatever the cart knows, it learnt from the events.
    no_products = httpx.MockTransport(lambda _: httpx.Response(404, json={"status": 404}))
    app = create_app(
        settings,
        order_transport=httpx.MockTransport(orders.handle),
        product_transport=no_products,
    )
    async with serving(app) as client:
        yield client


def wrap(payload: EventPayload, source: str) -> EventEnvelope:
    return EventEnvelope.wrap(payload, source)


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    end = time.monotonic() + DEADLINE_SECONDS
    while not await check():
        assert time.monotonic() < end, f"still not: {what}"
        await asyncio.sleep(0.05)


async def cart(client: httpx.AsyncClient) -> dict[str, dict]:
    body = (await client.get("/v1/cart", headers=BUYER)).json()
    return {item["product_id"]: item for item in body["items"]}


async def test_the_view_and_the_checkout_follow_the_events(
    client: httpx.AsyncClient, kafka: BrokerClients, orders: StandInOrderService
) -> None:
    catalog = await kafka.publisher(CATALOG_EVENTS)
    order_events = await kafka.publisher(ORDER_EVENTS)
    for product_id, name, stock in (("p-1", "Pen", 5), ("p-2", "Ink", 9), ("p-3", "Cup", 9)):
        created = ProductCreated(
            product_id=product_id, seller_id="s", name=name, price=1_000, stock=stock
        )
        await catalog(wrap(created, "product"), product_id)

    async def put(product_id: str, quantity: int) -> bool:
        response = await client.put(
            f"/v1/cart/items/{product_id}", json={"quantity": quantity}, headers=BUYER
        )
        return response.status_code == 200

    await until(lambda: put("p-1", 2), "p-1 in the view")
    await until(lambda: put("p-2", 1), "p-2 in the view")
    assert (await cart(client))["p-1"] == {
        "product_id": "p-1",
        "name": "Pen",
        "quantity": 2,
        "unit_price": 1_000,
        "available": True,
    }

    # Someone else's order holds 4 of the 5 pens, then lets them go.
    held = StockReserved(
        order_id="other", items=[PricedLine(product_id="p-1", quantity=4, unit_price=1_000)]
    )
    await catalog(wrap(held, "product"), "other")

    async def pens_available(expected: bool) -> bool:
        return (await cart(client))["p-1"]["available"] is expected

    await until(lambda: pens_available(False), "the reservation seen")
    await catalog(wrap(StockReleased(order_id="other"), "product"), "other")
    await until(lambda: pens_available(True), "the release seen")

    checkout = await client.post("/v1/cart/checkout", headers=BUYER)
    assert checkout.status_code == 202, checkout.text
    order_id = checkout.json()["id"]
    assert checkout.headers["location"] == f"/v1/orders/{order_id}"
    assert checkout.json()["items"] == [
        {"product_id": "p-1", "quantity": 2},
        {"product_id": "p-2", "quantity": 1},
    ]
    assert await put("p-3", 1)  # added after the checkout: stays

    await order_events(
        wrap(OrderRejected(order_id="not-ours", reason="OUT_OF_STOCK"), "order"), "not-ours"
    )
    confirmed = wrap(OrderConfirmed(order_id=order_id, total=3_000), "order")
    await order_events(confirmed, order_id)
    await order_events(confirmed, order_id)  # delivered twice: settled once

    async def only_the_cup_left() -> bool:
        return list(await cart(client)) == ["p-3"]

    await until(only_the_cup_left, "the ordered lines dropped")
    assert len(orders.keys) == 1


async def test_carts_live_in_redis_when_it_is_configured(
    own_broker: EmbeddedBroker, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cart.db'}",
        var_dir=tmp_path,
        gateway_public_key_file=PUBLIC_KEY_FILE,
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
    )
    product = {"id": "p-9", "name": "Lamp", "price": 25_000, "stock": 3}
    catalog = httpx.MockTransport(lambda _: httpx.Response(200, json=product))
    redis = Redis.from_url(redis_url)
    try:
        async with serving(create_app(settings, product_transport=catalog)) as client:
            put = await client.put("/v1/cart/items/p-9", json={"quantity": 2}, headers=BUYER)
            assert put.status_code == 200, put.text
            assert await redis.hexists(f"{redis_prefix}cart:buyer-1", "doc")
            assert (await cart(client))["p-9"]["name"] == "Lamp"
            ready = await client.get("/readyz")
            assert "redis" in ready.json()["checks"]
    finally:
        keys = [key async for key in redis.scan_iter(match=redis_prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
