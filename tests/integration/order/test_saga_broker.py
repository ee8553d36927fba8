"""The order service's messaging against the real Kafka-protocol broker (embedded Tansu).

The whole service runs in-process (its bootstrap, lifespan and all): an order placed over HTTP
reaches ``commerce.order.events``; the catalog's StockReserved on ``commerce.catalog.events``
makes it ask for its payment there (PaymentRequested); the payment service's answers on
``commerce.payment.events`` confirm or reject it once, however often they are delivered;
staff ship and deliver it over HTTP; events of other types are ignored.
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
from commerce.contracts.payments import PaymentAuthorized, PaymentDeclined
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS, PAYMENT_EVENTS
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.order.bootstrap import create_app
from commerce.order.settings import Settings
from tests.broker import DEADLINE_SECONDS, BrokerClients, events_keyed
from tests.identity import as_user
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration

BUYER = as_user("buyer-1", "b@example.com", "USER")
STAFF = as_user("staff-1", "s@example.com", "USER,STAFF")


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


def wrap(payload: EventPayload, source: str = "product") -> EventEnvelope:
    return EventEnvelope.wrap(payload, source)


async def reserved_order(
    client: httpx.AsyncClient, kafka: BrokerClients, payment: dict[str, str] | None = None
) -> tuple[str, list[EventEnvelope]]:
    """An order placed over HTTP whose stock the catalog reserved (900 KRW a unit, 2 units):
    its id, and its events on the topic up to the PaymentRequested it then published."""
    order_events = await kafka.reader(ORDER_EVENTS)
    publish = await kafka.publisher(CATALOG_EVENTS)
    body: dict[str, object] = {"items": [{"product_id": "p-1", "quantity": 2}]}
    if payment is not None:
        body["payment"] = payment
    response = await client.post("/v1/orders", json=body, headers=BUYER)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    reserved = StockReserved(
        order_id=order_id, items=[PricedLine(product_id="p-1", quantity=2, unit_price=900)]
    )
    await publish(wrap(reserved), order_id)
    return order_id, await events_keyed(order_events, order_id, 2)


async def test_stock_reserved_asks_for_the_payment_on_the_topic(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    order_id, (placed, requested) = await reserved_order(
        client, kafka, {"method": "card", "token": "tok_visa"}
    )
    assert (placed.type, requested.type) == ("OrderPlaced", "PaymentRequested")
    assert requested.data == {
        "order_id": order_id,
        "user_id": "buyer-1",
        "amount": 1_800,
        "method": "card",
        "token": "tok_visa",
    }
    order = (await client.get(f"/v1/orders/{order_id}", headers=BUYER)).json()
    assert (order["status"], order["total"], order["payment"]) == (
        "PENDING",
        1_800,
        {"method": "card", "status": "PENDING"},
    )


async def test_payment_authorized_confirms_then_staff_ship_and_deliver(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    order_id, _ = await reserved_order(client, kafka)
    order_events = await kafka.reader(ORDER_EVENTS)
    payments = await kafka.publisher(PAYMENT_EVENTS)
    authorized = wrap(
        PaymentAuthorized(order_id=order_id, payment_id="pay-1", amount=1_800), "payment"
    )
    await payments(authorized, order_id)
    await payments(authorized, order_id)  # redelivered: the inbox makes it a no-op
    order = await wait_status(client, order_id, "CONFIRMED")
    assert order["payment"] == {"method": "invoice", "status": "AUTHORIZED"}

    shipment = {"carrier": "CJ Logistics", "tracking_number": "6001-2345"}
    refused = await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=BUYER)
    assert refused.status_code == 403
    shipped = await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=STAFF)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "SHIPPED"
    delivered = await client.post(f"/v1/orders/{order_id}/deliver", headers=STAFF)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "DELIVERED"
    events = await events_keyed(order_events, order_id, 5)
    assert [e.type for e in events] == [
        "OrderPlaced",
        "PaymentRequested",
        "OrderConfirmed",
        "OrderShipped",
        "OrderDelivered",
    ]
    assert events[3].data == {"order_id": order_id, **shipment}


async def test_payment_declined_rejects_and_asks_the_catalog_to_release(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    order_id, _ = await reserved_order(client, kafka, {"method": "card", "token": "tok_declined"})
    order_events = await kafka.reader(ORDER_EVENTS)
    payments = await kafka.publisher(PAYMENT_EVENTS)
    declined = PaymentDeclined(order_id=order_id, payment_id="pay-1", reason="PAYMENT_DECLINED")
    await payments(wrap(declined, "payment"), order_id)
    order = await wait_status(client, order_id, "REJECTED")
    assert (order["reason"], order["payment"]["status"]) == ("PAYMENT_DECLINED", "DECLINED")
    events = await events_keyed(order_events, order_id, 3)
    assert [e.type for e in events] == ["OrderPlaced", "PaymentRequested", "OrderRejected"]
    assert events[2].data == {"order_id": order_id, "reason": "PAYMENT_DECLINED"}
    # A late authorization (after a decline: out of order) does not revive it.
    late = PaymentAuthorized(order_id=order_id, payment_id="pay-1", amount=1_800)
    await payments(wrap(late, "payment"), order_id)
    await asyncio.sleep(1)  # well beyond the consumer's usual latency here
    order = (await client.get(f"/v1/orders/{order_id}", headers=BUYER)).json()
    assert (order["status"], order["payment"]["status"]) == ("REJECTED", "DECLINED")


async def test_placed_orders_are_published_and_replies_confirm_them_once(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    order_events = await kafka.reader(ORDER_EVENTS)
    publish = await kafka.publisher(CATALOG_EVENTS)
    payments = await kafka.publisher(PAYMENT_EVENTS)
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
    # The payment service answers the request (the topics are not ordered with each other).
    (requested,) = await events_keyed(order_events, order_id, 1)
    assert requested.type == "PaymentRequested"
    authorized = PaymentAuthorized(order_id=order_id, payment_id="pay-1", amount=1_800)
    await payments(wrap(authorized, "payment"), order_id)
    order = await wait_status(client, order_id, "CONFIRMED")
    assert order["total"] == 1_800

    cancel = await client.post(f"/v1/orders/{order_id}/cancel", headers=BUYER)
    assert cancel.status_code == 200
    await publish(wrap(StockReleased(order_id=order_id)), order_id)
    # one confirmation only, then the cancellation (the duplicate reservation changed nothing,
    # and asked for no second payment)
    types = [e.type for e in await events_keyed(order_events, order_id, 2)]
    assert types == ["OrderConfirmed", "OrderCancelled"]
