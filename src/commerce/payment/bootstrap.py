"""Composition root of the payment service: settings in, a FastAPI app out.

Nothing happens at import time. The lifespan opens (and migrates) the database, starts the
messaging (outbox relay, the ``payment`` consumer group on ``commerce.order.events``) and the
worker that makes the provider calls, and stops them in reverse order.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from fastapi import FastAPI

from commerce.contracts.topics import ORDER_EVENTS, PAYMENT_EVENTS
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.wiring import operations_console
from commerce.kernel.background import PeriodicTask
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.runtime import Messaging
from commerce.kernel.ports import Clock
from commerce.payment.adapters.inbound.http import router
from commerce.payment.adapters.inbound.order_events import OrderEventsHandler
from commerce.payment.adapters.inbound.step_worker import StepWorker
from commerce.payment.adapters.outbound.ledger import SqlaChargeLedger
from commerce.payment.adapters.outbound.metered_provider import MeteredProvider
from commerce.payment.adapters.outbound.queries import SqlaPaymentQueries
from commerce.payment.adapters.outbound.repository import forget_withdrawals
from commerce.payment.adapters.outbound.simulated_provider import SimulatedProvider
from commerce.payment.adapters.outbound.tables import admin_audit, dead_letters, inbox, outbox
from commerce.payment.adapters.outbound.unit_of_work import CONSUMER, SqlaPaymentUnitOfWork
from commerce.payment.application.order_requests import (
    CapturePaymentHandler,
    RequestPaymentHandler,
    WithdrawPaymentHandler,
)
from commerce.payment.application.ports import PaymentProvider, StepPolicy
from commerce.payment.application.provider_steps import ProviderSteps
from commerce.payment.application.queries import PaymentReader
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.settings import Settings

SERVICE_PACKAGE = "commerce.payment"
log = logging.getLogger("commerce.payment")
# All that payment does on Kafka; its KafkaUser grants exactly this (ADR 0046).
KAFKA_ACCESS = KafkaAccess(produces=(PAYMENT_EVENTS,), consumes={CONSUMER: (ORDER_EVENTS,)})


def load_settings() -> Settings:
    return Settings()


def new_payment_id() -> str:
    return str(uuid.uuid4())


def step_policy(settings: Settings) -> StepPolicy:
    return StepPolicy(
        authorize_deadline=timedelta(seconds=settings.authorize_deadline_seconds),
        call_timeout=timedelta(seconds=settings.provider_call_timeout_seconds),
        backoff_base=timedelta(seconds=settings.provider_backoff_seconds),
        backoff_cap=timedelta(seconds=settings.provider_max_backoff_seconds),
    )


def build_provider(settings: Settings, database: Database) -> PaymentProvider:
    """The provider adapter the settings name (only the simulated one ships)."""
    assert settings.provider == "simulated"
    return MeteredProvider(SimulatedProvider(SqlaChargeLedger(database.connections)))


def build_use_cases(
    database: Database,
    settings: Settings,
    provider: PaymentProvider,
    clock: Clock = utc_now,
    *,
    outbox_written: Callable[[], None] | None = None,
    step_owed: Callable[[], None] | None = None,
) -> PaymentUseCases:
    def new_uow() -> SqlaPaymentUnitOfWork:
        return SqlaPaymentUnitOfWork(
            database.connections, outbox_written=outbox_written, step_owed=step_owed
        )

    policy = step_policy(settings)
    return PaymentUseCases(
        request=RequestPaymentHandler(new_uow, clock, new_payment_id, policy),
        capture=CapturePaymentHandler(new_uow, clock),
        withdraw=WithdrawPaymentHandler(new_uow, clock),
        steps=ProviderSteps(new_uow, clock, provider, policy),
        read=PaymentReader(SqlaPaymentQueries(database.engine)),
    )


async def _forget_old_withdrawals(database: Database, settings: Settings, clock: Clock) -> int:
    """A withdrawal spares the provider a call for a request that comes after it. Past the
    inbox's retention, the platform no longer tells a repeated event from a new one anyway;
    a request that late is authorized, and the order service, which holds the order as
    final, answers with a release on which the payment is voided (docs/adr/0111)."""
    cutoff = clock() - timedelta(seconds=settings.inbox_retention_seconds)
    removed = await forget_withdrawals(database.engine, before=cutoff)
    if removed:
        log.info("forgot %d withdrawals older than the inbox's retention", removed)
    return removed


def create_app(settings: Settings) -> FastAPI:
    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        messaging = Messaging(
            settings, database, outbox, KAFKA_ACCESS, inbox=inbox, dead_letters=dead_letters
        )
        app.state.operations = operations_console("payment", messaging, admin_audit)
        workers: list[StepWorker] = []

        def step_owed() -> None:
            for worker in workers:
                worker.notify()

        use_cases = build_use_cases(
            database,
            settings,
            build_provider(settings, database),
            outbox_written=messaging.notify_outbox,
            step_owed=step_owed,
        )
        worker = StepWorker(
            use_cases.steps,
            concurrency=settings.provider_concurrency,
            poll_seconds=settings.steps_poll_seconds,
        )
        workers.append(worker)
        app.state.payment_use_cases = use_cases
        stack.push_async_callback(messaging.stop)
        await messaging.start(consumers=[(CONSUMER, [ORDER_EVENTS], OrderEventsHandler(use_cases))])
        stack.push_async_callback(worker.stop)
        worker.start()  # PENDING payments left by a previous process resume here
        purge = PeriodicTask(
            "payment-withdrawals-purge",
            lambda: _forget_old_withdrawals(database, settings, utc_now),
            settings.inbox_purge_interval_seconds,
        )
        purge.start()
        stack.push_async_callback(purge.stop)
        return {"database": database, "broker": messaging}

    lifespan = ServiceLifespan(start, checks=("database", "broker"))
    return create_service_app(
        title="Commerce payment service",
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
        routers=[router, admin_router("payment")],
        readiness=lifespan.readiness,
        lifespan=lifespan,
    )
