"""UserRegistered reaches ``commerce.user.events`` on the real Kafka-protocol broker (Tansu).

The whole service runs in-process (bootstrap, lifespan, outbox relay); a sign-up over HTTP
must come out of the broker as one UserRegistered keyed by the new user's id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from commerce.contracts.envelope import EventEnvelope, parse_payload
from commerce.contracts.topics import USER_EVENTS
from commerce.contracts.users import UserRegistered
from commerce.kernel.db import Database
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.user.adapters.outbound.tables import outbox
from commerce.user.bootstrap import SERVICE_PACKAGE, create_app
from commerce.user.settings import Settings
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 30.0


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as broker:
        yield broker


@pytest.fixture
async def client(
    broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        internal_api_token="test-internal-token-" + "x" * 20,
    )
    async with serving(create_app(settings)) as client:
        yield client


@pytest.fixture
async def user_events(
    client: httpx.AsyncClient, broker: EmbeddedBroker
) -> AsyncIterator[AIOKafkaConsumer]:
    # After the service started: its lifespan created the topic.
    consumer = AIOKafkaConsumer(
        USER_EVENTS,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=None,  # no group: no join and rebalance to wait for
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def registered(consumer: AIOKafkaConsumer, user_id: str) -> list[EventEnvelope]:
    """Every event about ``user_id`` seen until one arrived (fails after a deadline)."""
    found: list[EventEnvelope] = []
    end = time.monotonic() + DEADLINE_SECONDS
    while not found:
        assert time.monotonic() < end, f"no UserRegistered for {user_id}"
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                envelope = EventEnvelope.from_json(record.value)
                if envelope.data.get("user_id") == user_id:
                    assert record.key == user_id.encode()
                    found.append(envelope)
    return found


async def test_sign_up_publishes_user_registered(
    client: httpx.AsyncClient, user_events: AIOKafkaConsumer, database_url: str
) -> None:
    response = await client.post(
        "/v1/users", json={"email": "Ada@Example.com", "password": "correct horse"}
    )
    assert response.status_code == 201
    user = response.json()
    refused = await client.post(
        "/v1/users", json={"email": "ada@example.com", "password": "correct horse"}
    )
    assert refused.status_code == 409

    events = await registered(user_events, user["id"])
    assert [event.type for event in events] == ["UserRegistered"]
    assert events[0].source == "user"
    assert parse_payload(events[0]) == UserRegistered(user_id=user["id"], email=user["email"])

    # One event for one new user (the 409 queued nothing), and the relay marks it published.
    rows = await outbox_rows_once_published(database_url)
    assert [row.event_id for row in rows] == [events[0].id]


async def outbox_rows_once_published(database_url: str) -> list:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=False)
    end = time.monotonic() + DEADLINE_SECONDS
    try:
        while True:
            async with database.connections() as session:
                query = select(outbox.c.event_id, outbox.c.published_at)
                rows = list((await session.execute(query)).all())
            if rows and all(row.published_at is not None for row in rows):
                return rows
            assert time.monotonic() < end, f"outbox rows still unpublished: {rows}"
            await asyncio.sleep(0.05)
    finally:
        await database.close()
