"""Composition root of the order service: settings in, a FastAPI app out.

Nothing happens at import time. The lifespan opens (and migrates) the database, starts the
messaging (outbox relay, the ``order`` consumer group on ``commerce.catalog.events`` and
``commerce.payment.events``) and the saga's re-drive task, and stops them in reverse order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from fastapi import FastAPI

from commerce.contracts.envelope import EventEnvelope
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS, PAYMENT_EVENTS
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.wiring import operations_console
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.runtime import Messaging
from commerce.kernel.ports import Clock
from commerce.order.adapters.inbound.admin_http import router as stuck_orders_router
from commerce.order.adapters.inbound.catalog_events import CatalogEventsHandler
from commerce.order.adapters.inbound.http import router
from commerce.order.adapters.inbound.live_status_http import router as live_status_router
from commerce.order.adapters.inbound.payment_events import PaymentEventsHandler
from commerce.order.adapters.inbound.redrive_task import redrive_task
from commerce.order.adapters.outbound.change_feed import PollingOrderChangeFeed
from commerce.order.adapters.outbound.queries import SqlaOrderQueries
from commerce.order.adapters.outbound.stuck_orders import SqlaStuckOrders
from commerce.order.adapters.outbound.tables import admin_audit, dead_letters, inbox, outbox
from commerce.order.adapters.outbound.unit_of_work import CONSUMER, SqlaOrderUnitOfWork
from commerce.order.application.answer_delay import AnswerDelay
from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.fulfilment import FulfilmentHandler
from commerce.order.application.live_status import LiveOrderStatus
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.ports import RedrivePolicy
from commerce.order.application.queries import OrderReader
from commerce.order.application.redrive import RedrivePendingOrders
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.domain.redrive import RedriveSchedule
from commerce.order.settings import Settings

SERVICE_PACKAGE = "commerce.order"
# All that order does on Kafka; its KafkaUser grants exactly this (ADR 0046).
KAFKA_ACCESS = KafkaAccess(
    produces=(ORDER_EVENTS,), consumes={CONSUMER: (CATALOG_EVENTS, PAYMENT_EVENTS)}
)


def load_settings() -> Settings:
    return Settings()


def new_order_id() -> str:
    return str(uuid.uuid4())


def build_use_cases(
    database: Database,
    settings: Settings,
    clock: Clock = utc_now,
    *,
    outbox_written: Callable[[], None] | None = None,
    feed: PollingOrderChangeFeed | None = None,
) -> OrderUseCases:
    """The use cases over ``database``; ``feed`` (made here, not started, when absent) tells
    live order streams about changes (docs/adr/0065)."""
    if feed is None:
        feed = PollingOrderChangeFeed(database.engine, interval=settings.events_poll_seconds)

    def new_uow() -> SqlaOrderUnitOfWork:
        return SqlaOrderUnitOfWork(
            database.connections,
            outbox_written=outbox_written,
            feed=feed,
        )

    policy = RedrivePolicy(
        RedriveSchedule(
            after=timedelta(seconds=settings.redrive_after_seconds),
            interval=timedelta(seconds=settings.redrive_interval_seconds),
            max_interval=timedelta(seconds=settings.redrive_max_interval_seconds),
            payment_deadline=timedelta(seconds=settings.payment_deadline_seconds),
        ),
        batch_size=settings.redrive_batch_size,
    )
    # Shared by the replies (they tell it) and the re-drive (it waits that much longer).
    answer_delay = AnswerDelay(window=policy.schedule.after)
    reader = OrderReader(SqlaOrderQueries(database.engine))
    return OrderUseCases(
        place=PlaceOrderHandler(
            new_uow, clock, new_order_id, max_held_units=settings.max_held_units_per_user
        ),
        cancel=CancelOrderHandler(new_uow, clock),
        read=reader,
        catalog_replies=CatalogReplyHandler(new_uow, clock, answer_delay=answer_delay),
        payment_replies=PaymentReplyHandler(new_uow, clock, answer_delay=answer_delay),
        fulfilment=FulfilmentHandler(new_uow, clock),
        redrive=RedrivePendingOrders(new_uow, clock, policy, answer_delay=answer_delay),
        live=LiveOrderStatus(reader, feed, keepalive_seconds=settings.events_keepalive_seconds),
    )


def create_app(settings: Settings) -> FastAPI:
    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        messaging = Messaging(
            settings, database, outbox, KAFKA_ACCESS, inbox=inbox, dead_letters=dead_letters
        )
        app.state.operations = operations_console("order", messaging, admin_audit)
        app.state.stuck_orders = SqlaStuckOrders(database.engine, utc_now)
        feed = PollingOrderChangeFeed(database.engine, interval=settings.events_poll_seconds)
        stack.push_async_callback(feed.stop)
        feed.start()
        use_cases = build_use_cases(
            database, settings, outbox_written=messaging.notify_outbox, feed=feed
        )
        app.state.order_use_cases = use_cases
        catalog = CatalogEventsHandler(use_cases.catalog_replies)
        payment = PaymentEventsHandler(use_cases.payment_replies)

        async def replies(envelope: EventEnvelope) -> None:
            # One consumer group on both topics; each handler skips the other's types.
            await catalog(envelope)
            await payment(envelope)

        stack.push_async_callback(messaging.stop)
        await messaging.start(consumers=[(CONSUMER, [CATALOG_EVENTS, PAYMENT_EVENTS], replies)])
        redrive = redrive_task(use_cases.redrive, settings.redrive_poll_seconds)
        stack.push_async_callback(redrive.stop)
        redrive.start()
        return {"database": database, "broker": messaging}

    lifespan = ServiceLifespan(start, checks=("database", "broker"))
    return create_service_app(
        title="Commerce order service",
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
        routers=[router, live_status_router, admin_router("order"), stuck_orders_router],
        readiness=lifespan.readiness,
        lifespan=lifespan,
    )
