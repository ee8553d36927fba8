"""The product service's messaging against the real Kafka-protocol broker (embedded Tansu).

The whole service runs in-process (bootstrap, lifespan and all): order events published on
``commerce.order.events`` reserve and release stock, and the answers (and the catalog's own
events) come out on ``commerce.catalog.events``, keyed by order or product id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS, dlq_topic
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.product.bootstrap import create_app
from commerce.product.settings import Settings
from tests.identity import as_user
from tests.integration.conftest import serving
from tests.integration.product.helpers import cancelled, placed

pytestmark = pytest.mark.integration

SELLER = as_user("seller-1", "s@example.com", "USER")
DEADLINE_SECONDS = 30.0


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # The wiring to the broker is what is under test here; both databases are covered elsewhere.
    return f"sqlite+aiosqlite:///{tmp_path / 'product.db'}"


@pytest.fixture
def broker(own_broker: EmbeddedBroker) -> EmbeddedBroker:
    return own_broker


@pytest.fixture
async def client(
    broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        kafka_bootstrap_servers=broker.bootstrap_servers,
    )
    async with serving(create_app(settings)) as client:
        yield client


async def consumer_of(broker: EmbeddedBroker, topic: str) -> AIOKafkaConsumer:
    """A reader of every partition of ``topic`` from the start (no group: no join to wait for)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    await consumer.topics()  # refreshes the metadata that partitions_for_topic reads
    partitions = consumer.partitions_for_topic(topic) or set()
    assert partitions, f"{topic} does not exist"
    consumer.assign([TopicPartition(topic, p) for p in partitions])
    await consumer.seek_to_beginning()
    return consumer


@pytest.fixture
async def catalog_events(
    broker: EmbeddedBroker, client: httpx.AsyncClient
) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = await consumer_of(broker, CATALOG_EVENTS)
    try:
        yield consumer
    finally:
        await consumer.stop()


@pytest.fixture
async def publish(broker: EmbeddedBroker) -> AsyncIterator[Any]:
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    await producer.start()

    async def send(envelope: EventEnvelope | bytes, key: str) -> None:
        value = envelope if isinstance(envelope, bytes) else envelope.to_json()
        await producer.send_and_wait(ORDER_EVENTS, value, key=key.encode())

    try:
        yield send
    finally:
        await producer.stop()


async def events_for(consumer: AIOKafkaConsumer, key: str, count: int) -> list[EventEnvelope]:
    """The first ``count`` events keyed ``key`` (fails after a deadline)."""
    found: list[EventEnvelope] = []
    end = time.monotonic() + DEADLINE_SECONDS
    while len(found) < count:
        assert time.monotonic() < end, f"only {found} for {key}"
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            found.extend(EventEnvelope.from_json(r.value) for r in records if r.key == key.encode())
    return found


async def stock_of(client: httpx.AsyncClient, product_id: str) -> int:
    return int((await client.get(f"/v1/products/{product_id}")).json()["stock"])


async def test_orders_reserve_and_release_through_the_broker(
    client: httpx.AsyncClient, catalog_events: AIOKafkaConsumer, publish: Any
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    body = {"name": "Kettle", "price": 30_000, "stock": 3}
    product = (await client.post("/v1/products", json=body, headers=SELLER)).json()
    (created,) = await events_for(catalog_events, product["id"], 1)
    assert (created.type, created.source, created.data["stock"]) == ("ProductCreated", "product", 3)

    order = str(uuid.uuid4())
    first = placed(order, (product["id"], 2))
    await publish(first, order)
    await publish(first, order)  # redelivered
    await publish(placed(order, (product["id"], 2)), order)  # re-driven
    await publish(cancelled(order), order)
    reserved, again, released = await events_for(catalog_events, order, 3)
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


async def test_a_poison_message_is_dead_lettered_and_the_next_one_served(
    broker: EmbeddedBroker,
    client: httpx.AsyncClient,
    catalog_events: AIOKafkaConsumer,
    publish: Any,
) -> None:
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
    (rejected,) = await events_for(catalog_events, order, 1)
    assert rejected.data == {
        "order_id": order,
        "reason": "PRODUCT_NOT_FOUND",
        "product_ids": ["no-such-product"],
    }
    again = await consumer_of(broker, CATALOG_EVENTS)  # events_for skipped the other keys
    try:
        (answered,) = await events_for(again, invalid, 1)
    finally:
        await again.stop()
    assert answered.type == "StockRejected"
    assert answered.data == {"order_id": invalid, "reason": "INVALID_ORDER", "product_ids": []}

    dead = await consumer_of(broker, dlq_topic(ORDER_EVENTS))
    try:
        parked: list[bytes] = []
        end = time.monotonic() + DEADLINE_SECONDS
        while len(parked) < 2:
            assert time.monotonic() < end, parked
            for records in (await dead.getmany(timeout_ms=200)).values():
                parked.extend(r.value for r in records)
        assert parked[0] == b"{not an event"
        assert EventEnvelope.from_json(parked[1]).id == nameless.id
        await asyncio.sleep(0)
    finally:
        await dead.stop()
