"""Composition root of the product service: settings in, a FastAPI app out.

Nothing happens at import time; the database is opened (and migrated) in the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from commerce.kernel.db import Database
from commerce.kernel.http.app import create_service_app
from commerce.product.adapters.inbound.http import router
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.settings import Settings

SERVICE_PACKAGE = "commerce.product"


def load_settings() -> Settings:
    return Settings()


def create_app(settings: Settings) -> FastAPI:
    catalogs: list[SqlaCatalog] = []

    async def database_ready() -> None:
        if not catalogs:
            raise RuntimeError("database not open yet")
        await catalogs[0].database.ping()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await Database.open(
            settings.resolved_database_url(),
            service_package=SERVICE_PACKAGE,
            migrate=settings.migrate_on_start,
        )
        catalog = SqlaCatalog(database)
        catalogs.append(catalog)
        app.state.catalog = catalog
        try:
            yield
        finally:
            catalogs.clear()
            await database.close()

    return create_service_app(
        title="Commerce product service",
        routers=[router],
        readiness={"database": database_ready},
        lifespan=lifespan,
    )
