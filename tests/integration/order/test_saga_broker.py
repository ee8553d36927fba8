"""The order service's messaging against the real Kafka-protocol broker (embedded Tansu).

The whole service runs in-process (its bootstrap, lifespan and all): an order placed over HTTP
reaches ``commerce.order.events``; catalog replies published on ``commerce.catalog.events``
confirm it once, however often they are delivered; events of other types are ignored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from commerce.contracts.catalog import PricedLine, ProductCreated, StockReleased, StockReserved
from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.order.bootstrap import create_app
from commerce.order.settings import Settings
from tests.broker import DEADLINE_SECONDS, BrokerClients, events_keyed
from tests.identity import as_user
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration

BUYER = as_user("buyer-1", "b@example.com", "USER")


@pytest.fixture
async def client(
    own_broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        redrive_after_seconds=600,
    )
    async with serving(create_app(settings)) as client:
        yield client


async def wait_status(client: httpx.AsyncClient, order_id: str, status: str) -> dict:
    end = time.monotonic() + DEADLINE_SECONDS
    while True:
        order = (await client.get(f"/v1/orders/{order_id}", headers=BUYER)).json()
        if order["status"] == status:
            return order
        assert time.monotonic() < end, f"order {order_id} still {order['status']}"
        await asyncio.sleep(0.05)


def wrap(payload: EventPayload) -> EventEnvelope:
    return EventEnvelope.wrap(payload, "product")


async def test_placed_orders_are_published_and_replies_confirm_them_once(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    order_events = await kafka.reader(ORDER_EVENTS)
    publish = await kafka.publisher(CATALOG_EVENTS)
    body = {"items": [{"product_id": "p-1", "quantity": 2}]}
    response = await client.post("/v1/orders", json=body, headers=BUYER)
    assert response.status_code == 202, response.text
    order_id = response.json()["id"]
    (placed,) = await events_keyed(order_events, order_id, 1)
    assert placed.type == "OrderPlaced" and placed.source == "order"
    assert placed.data["order_id"] == order_id
    assert placed.data["items"] == [{"product_id": "p-1", "quantity": 2}]

    await publish(
        wrap(ProductCreated(product_id="p-1", seller_id="s", name="n", price=1, stock=1)), "p-1"
    )
    reserved = wrap(
        StockReserved(
            order_id=order_id, items=[PricedLine(product_id="p-1", quantity=2, unit_price=900)]
        )
    )
    await publish(reserved, order_id)
    await publish(reserved, order_id)  # redelivered: the inbox makes it a no-op
    order = await wait_status(client, order_id, "CONFIRMED")
    assert order["total"] == 1_800

    cancel = await client.post(f"/v1/orders/{order_id}/cancel", headers=BUYER)
    assert cancel.status_code == 200
    await publish(wrap(StockReleased(order_id=order_id)), order_id)
    # one confirmation only, then the cancellation (the duplicate changed nothing)
    types = [e.type for e in await events_keyed(order_events, order_id, 2)]
    assert types == ["OrderConfirmed", "OrderCancelled"]
