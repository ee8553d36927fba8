"""The payment service against the real Kafka-protocol broker (embedded Tansu).

The whole service runs in-process (its bootstrap, lifespan, consumer, worker and relay): order
events published on ``commerce.order.events`` become payment events on
``commerce.payment.events``, a redelivered or repeated request charges once, and garbage is
dead-lettered while the rest goes on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from commerce.contracts.envelope import EventEnvelope, EventPayload
from commerce.contracts.ordering import OrderCancelled, OrderShipped, PaymentRequested
from commerce.contracts.topics import ORDER_EVENTS, PAYMENT_EVENTS, dlq_topic
from commerce.kernel.db import Database
from commerce.kernel.messaging.embedded_broker import EmbeddedBroker
from commerce.payment.adapters.outbound.ledger import SqlaChargeLedger
from commerce.payment.adapters.outbound.simulated_provider import Outcome
from commerce.payment.application.commands import RequestPayment
from commerce.payment.bootstrap import (
    SERVICE_PACKAGE,
    build_provider,
    build_use_cases,
    create_app,
)
from commerce.payment.domain.payment import PaymentMethod
from commerce.payment.settings import Settings
from tests.broker import DEADLINE_SECONDS, BrokerClients, events_keyed
from tests.identity import PUBLIC_KEY_FILE, as_user
from tests.integration.conftest import serving

pytestmark = pytest.mark.integration

STAFF = as_user("staff-1", "s@example.com", "USER,STAFF")


def settings_for(broker: EmbeddedBroker, database_url: str, var_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        var_dir=var_dir,
        gateway_public_key_file=PUBLIC_KEY_FILE,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        outbox_poll_interval_seconds=0.05,
        steps_poll_seconds=0.1,
        # tok_unavailable is declined within 3 s here, not the contract's 30
        authorize_deadline_seconds=3,
        provider_call_timeout_seconds=0.5,
        provider_backoff_seconds=0.1,
    )


@pytest.fixture
async def client(
    own_broker: EmbeddedBroker, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings_for(own_broker, database_url, tmp_path))) as client:
        yield client


def wrap(payload: EventPayload) -> EventEnvelope:
    return EventEnvelope.wrap(payload, "order")


def requested(order_id: str, token: str) -> EventEnvelope:
    return wrap(
        PaymentRequested(
            order_id=order_id, user_id="buyer-1", amount=15_000, method="card", token=token
        )
    )


async def payment_events(kafka: BrokerClients, order_id: str, count: int) -> list[EventEnvelope]:
    return await events_keyed(await kafka.reader(PAYMENT_EVENTS), order_id, count)


async def authorizations(database_url: str) -> list[str]:
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=False)
    try:
        entries = await SqlaChargeLedger(database.connections).entries()
    finally:
        await database.close()
    return [
        e.idempotency_key
        for e in entries
        if e.operation == "authorize" and e.outcome is Outcome.APPROVED
    ]


async def test_requests_are_authorized_or_declined_and_charged_once(
    client: httpx.AsyncClient, kafka: BrokerClients, database_url: str
) -> None:
    publish = await kafka.publisher(ORDER_EVENTS)
    visa = requested("order-visa", "tok_visa")
    await publish(visa, "order-visa")
    await publish(visa, "order-visa")  # redelivered: the inbox makes it a no-op
    await publish(requested("order-declined", "tok_declined"), "order-declined")

    (authorized,) = await payment_events(kafka, "order-visa", 1)
    assert authorized.type == "PaymentAuthorized" and authorized.source == "payment"
    assert authorized.data["amount"] == 15_000 and authorized.data["payment_id"]
    (declined,) = await payment_events(kafka, "order-declined", 1)
    assert declined.type == "PaymentDeclined"
    assert declined.data["reason"] == "PAYMENT_DECLINED"

    # the order's re-drive asks again with a new event: the outcome again, no new charge
    await publish(requested("order-visa", "tok_visa"), "order-visa")
    events = await payment_events(kafka, "order-visa", 2)
    assert [e.type for e in events] == ["PaymentAuthorized", "PaymentAuthorized"]
    assert {e.data["payment_id"] for e in events} == {authorized.data["payment_id"]}
    assert await authorizations(database_url) == ["order-visa:authorize"]

    # shipped: captured
    shipped = OrderShipped(order_id="order-visa", carrier="post", tracking_number="T-1")
    await publish(wrap(shipped), "order-visa")
    events = await payment_events(kafka, "order-visa", 3)
    assert events[-1].type == "PaymentCaptured" and events[-1].data["amount"] == 15_000

    response = await client.get("/v1/payments/order-visa", headers=STAFF)
    assert response.status_code == 200, response.text
    assert [h["status"] for h in response.json()["history"]] == [
        "PENDING",
        "AUTHORIZED",
        "CAPTURED",
    ]


async def test_a_cancellation_after_authorization_voids_it(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    publish = await kafka.publisher(ORDER_EVENTS)
    await publish(requested("order-c", "tok_visa"), "order-c")
    (authorized,) = await payment_events(kafka, "order-c", 1)
    assert authorized.type == "PaymentAuthorized"
    await publish(wrap(OrderCancelled(order_id="order-c")), "order-c")
    events = await payment_events(kafka, "order-c", 2)
    assert [e.type for e in events] == ["PaymentAuthorized", "PaymentVoided"]


async def test_garbage_is_dead_lettered_and_the_rest_goes_on(
    client: httpx.AsyncClient, kafka: BrokerClients
) -> None:
    publish = await kafka.publisher(ORDER_EVENTS)
    await publish(b"this is no event", "junk")
    await publish(requested("order-after", "tok_visa"), "order-after")
    (authorized,) = await payment_events(kafka, "order-after", 1)
    assert authorized.type == "PaymentAuthorized"

    dead = await kafka.reader(dlq_topic(ORDER_EVENTS))
    end = time.monotonic() + DEADLINE_SECONDS
    parked: list[bytes] = []
    while not parked:
        assert time.monotonic() < end, "nothing dead-lettered"
        for records in (await dead.getmany(timeout_ms=200)).values():
            parked.extend(r.value for r in records if r.key == b"junk")
    assert parked == [b"this is no event"]


async def test_unavailable_is_declined_by_the_deadline_and_flaky_authorized(
    client: httpx.AsyncClient, kafka: BrokerClients, database_url: str
) -> None:
    publish = await kafka.publisher(ORDER_EVENTS)
    await publish(requested("order-down", "tok_unavailable"), "order-down")
    await publish(requested("order-flaky", "tok_flaky"), "order-flaky")
    (flaky,) = await payment_events(kafka, "order-flaky", 1)
    assert flaky.type == "PaymentAuthorized"
    (down,) = await payment_events(kafka, "order-down", 1)
    assert down.type == "PaymentDeclined" and down.data["reason"] == "PAYMENT_UNAVAILABLE"
    body = (await client.get("/v1/payments/order-down", headers=STAFF)).json()
    asked, declined = (datetime.fromisoformat(h["at"]) for h in body["history"])
    assert timedelta(seconds=2.9) <= declined - asked <= timedelta(seconds=3.5)  # at the deadline
    assert await authorizations(database_url) == ["order-flaky:authorize"]


async def test_pending_payments_resume_after_a_restart(
    own_broker: EmbeddedBroker, kafka: BrokerClients, database_url: str, tmp_path: Path
) -> None:
    """A payment recorded PENDING by a process that stopped before calling the provider is
    authorized by the next process, with no new event needed."""
    settings = settings_for(own_broker, database_url, tmp_path)
    database = await Database.open(database_url, service_package=SERVICE_PACKAGE, migrate=True)
    try:
        use_cases = build_use_cases(database, settings, build_provider(settings, database))
        await use_cases.request(
            RequestPayment("e-1", "order-left", "buyer-1", 700, PaymentMethod.CARD, "tok_visa")
        )
    finally:
        await database.close()
    async with serving(create_app(settings)):
        (authorized,) = await payment_events(kafka, "order-left", 1)
    assert authorized.type == "PaymentAuthorized" and authorized.data["amount"] == 700
