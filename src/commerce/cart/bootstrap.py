"""Composition root of the cart service: settings in, a FastAPI app out.

Nothing happens at import time. The lifespan opens (and migrates) the database, Redis when
``CART_REDIS_URL`` is set (carts and checkouts live there then, else in SQL), the clients of
the order and product services, and the messaging: the ``cart`` consumer group on the
catalog's and the order's events. It stops them in reverse order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from commerce.cart.adapters.inbound.events import CartEventsHandler
from commerce.cart.adapters.inbound.http import router
from commerce.cart.adapters.outbound.order_client import HttpOrderPlacer
from commerce.cart.adapters.outbound.product_client import HttpProductCatalog
from commerce.cart.adapters.outbound.redis_cart_store import (
    CONFIRMATION_MEMORY_MS,
    RedisCartStore,
)
from commerce.cart.adapters.outbound.sql_cart_store import SqlaCartStore
from commerce.cart.adapters.outbound.sql_catalog_view import SqlaCatalogView
from commerce.cart.adapters.outbound.tables import admin_audit, dead_letters, inbox, outbox
from commerce.cart.adapters.outbound.unit_of_work import CONSUMER, SqlaCatalogViewUnitOfWork
from commerce.cart.application.catalog_view import UpdateCatalogView
from commerce.cart.application.checkout import CheckOut, SettleCheckout
from commerce.cart.application.editing import ClearCart, ReadCart, RemoveLine, SetQuantity
from commerce.cart.application.ports import (
    CartStore,
    CatalogView,
    CatalogViewUnitOfWork,
    OrderPlacer,
    ProductCatalog,
)
from commerce.cart.application.use_cases import CartUseCases
from commerce.cart.settings import Settings
from commerce.contracts.topics import CATALOG_EVENTS, ORDER_EVENTS
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.wiring import operations_console
from commerce.kernel.background import PeriodicTask
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.http.peer_client import peer_client
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.runtime import Messaging
from commerce.kernel.ports import Clock

SERVICE_PACKAGE = "commerce.cart"
# All that cart does on Kafka: it reads, and publishes nothing (ADR 0046, docs/adr/0121).
KAFKA_ACCESS = KafkaAccess(consumes={CONSUMER: (CATALOG_EVENTS, ORDER_EVENTS)})
REDIS_TIMEOUT_SECONDS = 2.0
# As long in SQL as in Redis.
CONFIRMATIONS_KEPT = timedelta(milliseconds=CONFIRMATION_MEMORY_MS)
log = logging.getLogger("commerce.cart")


async def _purge(
    view: SqlaCatalogView, store: SqlaCartStore | None, settings: Settings, clock: Clock
) -> None:
    """Delete the SQL rows that have outlived their use (Redis expires its keys itself)."""
    now = clock()
    ttl = timedelta(seconds=settings.checkout_ttl_seconds)
    removed = await view.purge_reservations(before=now - ttl)
    if store is not None:
        removed += await store.purge(
            checkouts_before=now - ttl, confirmations_before=now - CONFIRMATIONS_KEPT
        )
    if removed:
        log.info("purged %d old checkouts, confirmations and reservations", removed)


def load_settings() -> Settings:
    return Settings()


def build_use_cases(
    store: CartStore,
    view: CatalogView,
    orders: OrderPlacer,
    catalog: ProductCatalog,
    catalog_events: Callable[[], CatalogViewUnitOfWork],
    clock: Clock = utc_now,
) -> CartUseCases:
    settle = SettleCheckout(store, clock)
    return CartUseCases(
        read=ReadCart(store, view),
        set_quantity=SetQuantity(store, view, catalog, clock),
        remove=RemoveLine(store, view, clock),
        clear=ClearCart(store),
        check_out=CheckOut(store, orders, settle),
        settle=settle,
        catalog=UpdateCatalogView(catalog_events),
    )


def create_app(
    settings: Settings,
    *,
    order_transport: httpx.AsyncBaseTransport | None = None,
    product_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The cart service; the transports are seams for tests (the peers in-process)."""

    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        started: dict[str, Pingable] = {"database": database}
        sql_store = SqlaCartStore(database.connections, utc_now)
        store: CartStore = sql_store
        if settings.redis_url:
            redis = Redis.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            stack.push_async_callback(redis.aclose)
            started["redis"] = redis
            store = RedisCartStore(
                redis,
                prefix=settings.redis_key_prefix,
                checkout_ttl_seconds=settings.checkout_ttl_seconds,
            )
        orders = peer_client(
            settings.order_service_url,
            settings.order_service_timeout_seconds,
            transport=order_transport,
        )
        stack.push_async_callback(orders.aclose)
        products = peer_client(
            settings.product_service_url,
            settings.product_service_timeout_seconds,
            transport=product_transport,
        )
        stack.push_async_callback(products.aclose)
        view = SqlaCatalogView(database.engine)
        use_cases = build_use_cases(
            store,
            view,
            HttpOrderPlacer(orders),
            HttpProductCatalog(products),
            lambda: SqlaCatalogViewUnitOfWork(database.connections, utc_now),
        )
        app.state.cart_use_cases = use_cases
        messaging = Messaging(
            settings, database, outbox, KAFKA_ACCESS, inbox=inbox, dead_letters=dead_letters
        )
        app.state.operations = operations_console("cart", messaging, admin_audit)
        stack.push_async_callback(messaging.stop)
        handler = CartEventsHandler(use_cases)
        await messaging.start(consumers=[(CONSUMER, [CATALOG_EVENTS, ORDER_EVENTS], handler)])
        if settings.purge_interval_seconds > 0:
            purge = PeriodicTask(
                "cart-purge",
                partial(_purge, view, None if settings.redis_url else sql_store, settings, utc_now),
                settings.purge_interval_seconds,
            )
            purge.start()
            stack.push_async_callback(purge.stop)
        started["broker"] = messaging
        return started

    checks = ("database", "broker", "redis") if settings.redis_url else ("database", "broker")
    lifespan = ServiceLifespan(start, checks=checks)
    return create_service_app(
        title="Commerce cart service",
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
        routers=[router, admin_router("cart")],
        readiness=lifespan.readiness,
        lifespan=lifespan,
    )
