"""UserRegistered reaches ``commerce.user.events`` on the real Kafka-protocol broker (Tansu).

The whole service runs in-process (bootstrap, lifespan, outbox relay); a sign-up over HTTP
must come out of the broker as one UserRegistered keyed by the new user's id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from commerce.contracts.envelope import parse_payload
from commerce.contracts.topics import USER_EVENTS
from commerce.contracts.users import UserRegistered
from commerce.kernel.db import Database
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.user.adapters.outbound.tables import outbox
from commerce.user.bootstrap import SERVICE_PACKAGE, create_app
from commerce.user.settings import Settings
from tests.broker import DEADLINE_SECONDS, BrokerClients, events_keyed
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(
    own_broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        var_dir=tmp_path,
        kafka_bootstrap_servers=own_broker.bootstrap_servers,
        internal_api_token="test-internal-token-" + "x" * 20,
    )
    async with serving(create_app(settings)) as client:
        yield client


async def test_sign_up_publishes_user_registered(
    client: httpx.AsyncClient, kafka: BrokerClients, database_url: str
) -> None:
    user_events = await kafka.reader(USER_EVENTS)  # the service's start created the topic
    response = await client.post(
        "/v1/users", json={"email": "Ada@Example.com", "password": "correct horse"}
    )
    assert response.status_code == 201
    user = response.json()
    refused = await client.post(
        "/v1/users", json={"email": "ada@example.com", "password": "correct horse"}
    )
    assert refused.status_code == 409

    events = await events_keyed(user_events, user["id"], 1)
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
