"""Composition root of the order service: settings in, a FastAPI app out.

Nothing happens at import time; the database is opened (and migrated), the messaging started
and the re-drive task scheduled in the lifespan.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.order.adapters.inbound.http import router
from commerce.order.adapters.inbound.redrive_task import RedriveTask
from commerce.order.adapters.outbound.queries import SqlaOrderQueries
from commerce.order.adapters.outbound.unit_of_work import SqlaOrderUnitOfWork
from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.ports import Clock, RedrivePolicy
from commerce.order.application.queries import OrderReader
from commerce.order.application.redrive import RedrivePendingOrders
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.settings import Settings

SERVICE_PACKAGE = "commerce.order"


def load_settings() -> Settings:
    return Settings()


def new_order_id() -> str:
    return str(uuid.uuid4())


def build_use_cases(
    database: Database, settings: Settings, clock: Clock = utc_now
) -> OrderUseCases:
    def new_uow() -> SqlaOrderUnitOfWork:
        return SqlaOrderUnitOfWork(database.sessions)

    policy = RedrivePolicy(
        after=timedelta(seconds=settings.redrive_after_seconds),
        interval=timedelta(seconds=settings.redrive_interval_seconds),
        batch_size=settings.redrive_batch_size,
    )
    return OrderUseCases(
        place=PlaceOrderHandler(new_uow, clock, new_order_id),
        cancel=CancelOrderHandler(new_uow, clock),
        read=OrderReader(SqlaOrderQueries(database.sessions)),
        catalog_replies=CatalogReplyHandler(new_uow, clock),
        redrive=RedrivePendingOrders(new_uow, clock, policy),
    )


def create_app(settings: Settings, *, messaging: bool = True) -> FastAPI:
    """The service; ``messaging=False`` leaves out Kafka and the re-drive (HTTP-only tests)."""
    databases: list[Database] = []

    async def database_ready() -> None:
        if not databases:
            raise RuntimeError("database not open yet")
        await databases[0].ping()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await Database.open(
            settings.resolved_database_url(),
            service_package=SERVICE_PACKAGE,
            migrate=settings.migrate_on_start,
        )
        databases.append(database)
        use_cases = build_use_cases(database, settings)
        app.state.order_use_cases = use_cases
        redrive = RedriveTask(use_cases.redrive, settings.redrive_poll_seconds)
        try:
            if messaging:
                redrive.start()
            yield
        finally:
            await redrive.stop()
            databases.clear()
            await database.close()

    return create_service_app(
        title="Commerce order service",
        routers=[router],
        readiness={"database": database_ready},
        lifespan=lifespan,
    )
