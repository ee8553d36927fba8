"""Composition root of the product service: settings in, a FastAPI app out.

Nothing happens at import time. The lifespan opens (and migrates) the database, then starts
the messaging: the outbox relay and the ``product`` consumer group on
``commerce.order.events``; it stops them in reverse order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI

from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.wiring import operations_console
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.runtime import Messaging
from commerce.kernel.ports import Clock, IdFactory
from commerce.product.adapters.inbound.events import OrderEventsHandler
from commerce.product.adapters.inbound.http import router
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.adapters.outbound.tables import admin_audit, dead_letters, inbox, outbox
from commerce.product.adapters.outbound.unit_of_work import CONSUMER
from commerce.product.application.catalog import CreateProductHandler, EditProductHandler
from commerce.product.application.ports import ProductUnitOfWork
from commerce.product.application.queries import ProductQueries, ProductReader
from commerce.product.application.stock import ReleaseStockHandler, ReserveStockHandler
from commerce.product.application.use_cases import ProductUseCases
from commerce.product.settings import Settings

SERVICE_PACKAGE = "commerce.product"
# All that product does on Kafka; its KafkaUser grants exactly this (ADR 0046).
KAFKA_ACCESS = KafkaAccess(produces=(CATALOG_EVENTS,), consumes={CONSUMER: (ORDER_EVENTS,)})


def load_settings() -> Settings:
    return Settings()


def new_product_id() -> str:
    return str(uuid.uuid4())


def build_use_cases(
    new_uow: Callable[[], ProductUnitOfWork],
    queries: ProductQueries,
    clock: Clock = utc_now,
    new_id: IdFactory = new_product_id,
) -> ProductUseCases:
    return ProductUseCases(
        create=CreateProductHandler(new_uow, clock, new_id),
        edit=EditProductHandler(new_uow, clock),
        read=ProductReader(queries),
        reserve=ReserveStockHandler(new_uow, clock),
        release=ReleaseStockHandler(new_uow, clock),
    )


def create_app(settings: Settings) -> FastAPI:
    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        messaging = Messaging(
            settings, database, outbox, KAFKA_ACCESS, inbox=inbox, dead_letters=dead_letters
        )
        app.state.operations = operations_console("product", messaging, admin_audit)
        catalog = SqlaCatalog(database, outbox_written=messaging.notify_outbox)
        use_cases = build_use_cases(catalog.unit_of_work, catalog.queries)
        stack.push_async_callback(messaging.stop)
        await messaging.start(consumers=[(CONSUMER, [ORDER_EVENTS], OrderEventsHandler(use_cases))])
        app.state.product_use_cases = use_cases
        return {"database": database, "broker": messaging}

    lifespan = ServiceLifespan(start, checks=("database", "broker"))
    return create_service_app(
        title="Commerce product service",
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
        routers=[router, admin_router("product")],
        readiness=lifespan.readiness,
        lifespan=lifespan,
    )
