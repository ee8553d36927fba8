"""The product service's messaging against the real Kafka-protocol broker (embedded Tansu).

The whole service runs in-process (bootstrap, lifespan and all): order events published on
``commerce.order.events`` reserve and release stock, and the answers (and the catalog's own
events) come out on ``commerce.catalog.events``, keyed by order or product id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.ordering import OrderRejected
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS, dlq_topic
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.product.bootstrap import create_app
from commerce.product.settings import Settings
from tests.broker import DEADLINE_SECONDS, BrokerClients, events_keyed
from tests.identity import as_user
from tests.integration.conftest import serving
from tests.integration.product.helpers import cancelled, placed

pytestmark = pytest.mark.integration

SELLER = as_user("seller-1", "s@example.com", "USER")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # The wiring to the broker is what is under test here; both databases are covered elsewhere.
    return f"sqlite+aiosqlite:///{tmp_path / 'product.db'}"


@pytest.fixture
async def client(
    own_broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
    )
    async with serving(create_app(settings)) as client:
        yield client


async def stock_of(client: httpx.AsyncClient, product_id: str) -> int:
    return int((await client.get(f"/v1/products/{product_id}")).json()["stock"])


async def test_orders_reserve_and_release_through_the_broker(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    catalog_events = await kafka.reader(CATALOG_EVENTS)
    publish = await kafka.publisher(ORDER_EVENTS)
    assert (await client.get("/readyz")).status_code == 200
    body = {"name": "Kettle", "price": 30_000, "stock": 3}
    product = (await client.post("/v1/products", json=body, headers=SELLER)).json()
    (created,) = await events_keyed(catalog_events, product["id"], 1)
    assert (created.type, created.source, created.data["stock"]) == ("ProductCreated", "product", 3)

    order = str(uuid.uuid4())
    first = placed(order, (product["id"], 2))
    await publish(first, order)
    await publish(first, order)  # redelivered
    await publish(placed(order, (product["id"], 2)), order)  # re-driven
    await publish(cancelled(order), order)
    reserved, again, released = await events_keyed(catalog_events, order, 3)
    assert reserved.type == again.type == "StockReserved"
    assert (
        reserved.data
        == again.data
        == {
            "order_id": order,
            "items": [{"product_id": product["id"], "quantity": 2, "unit_price": 30_000}],
        }
    )
    assert released.type == "StockReleased"
    assert await stock_of(client, product["id"]) == 3


async def test_an_order_rejected_after_its_reservation_is_released_through_the_broker(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    """A declined payment: the order service publishes OrderRejected, the catalog gives the
    stock back and answers StockReleased (a repeat gives nothing back twice)."""
    catalog_events = await kafka.reader(CATALOG_EVENTS)
    publish = await kafka.publisher(ORDER_EVENTS)
    body = {"name": "Kettle", "price": 30_000, "stock": 3}
    product = (await client.post("/v1/products", json=body, headers=SELLER)).json()
    order = str(uuid.uuid4())
    await publish(placed(order, (product["id"], 2)), order)
    (reserved,) = await events_keyed(catalog_events, order, 1)
    assert reserved.type == "StockReserved"
    assert await stock_of(client, product["id"]) == 1
    rejected = OrderRejected(order_id=order, reason="PAYMENT_DECLINED")
    await publish(EventEnvelope.wrap(rejected, "order"), order)
    await publish(EventEnvelope.wrap(rejected, "order"), order)  # re-driven: a new event id
    first, second = await events_keyed(catalog_events, order, 2)
    assert (first.type, second.type) == ("StockReleased", "StockReleased")
    assert first.data == {"order_id": order}
    assert await stock_of(client, product["id"]) == 3


async def test_a_poison_message_is_dead_lettered_and_the_next_one_served(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    catalog_events = await kafka.reader(CATALOG_EVENTS)
    publish = await kafka.publisher(ORDER_EVENTS)
    order, invalid = str(uuid.uuid4()), str(uuid.uuid4())
    template = placed(order, ("p", 1)).model_dump(mode="json")
    await publish(b"{not an event", order)
    nameless = EventEnvelope.model_validate({**template, "data": {"items": []}})
    await publish(nameless, order)
    # Names its order but no lines: answered, so that the order ends instead of waiting.
    lineless = EventEnvelope.model_validate(
        {**template, "id": str(uuid.uuid4()), "data": {"order_id": invalid, "items": []}}
    )
    await publish(lineless, invalid)
    await publish(placed(order, ("no-such-product", 1)), order)
    (rejected,) = await events_keyed(catalog_events, order, 1)
    assert rejected.data == {
        "order_id": order,
        "reason": "PRODUCT_NOT_FOUND",
        "product_ids": ["no-such-product"],
    }
    again = await kafka.reader(CATALOG_EVENTS)  # events_keyed skipped the other keys
    (answered,) = await events_keyed(again, invalid, 1)
    assert answered.type == "StockRejected"
    assert answered.data == {"order_id": invalid, "reason": "INVALID_ORDER", "product_ids": []}

    dead = await kafka.reader(dlq_topic(ORDER_EVENTS))
    parked: list[bytes] = []
    end = time.monotonic() + DEADLINE_SECONDS
    while len(parked) < 2:
        assert time.monotonic() < end, parked
        for records in (await dead.getmany(timeout_ms=200)).values():
            parked.extend(r.value for r in records)
    assert parked[0] == b"{not an event"
    assert EventEnvelope.from_json(parked[1]).id == nameless.id
