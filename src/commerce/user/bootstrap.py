"""Composition root of the user service: settings in, a FastAPI app out.

Nothing happens at import time; the database is opened (and migrated) in the lifespan.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI
from sqlalchemy.engine import make_url

from commerce.contracts.topics import USER_EVENTS
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.wiring import operations_console
from commerce.kernel.db import Database, is_sqlite
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.messaging.access import KafkaAccess
from commerce.kernel.messaging.runtime import Messaging
from commerce.user.adapters.inbound.cli import EXIT_UNAVAILABLE, run_users_command
from commerce.user.adapters.inbound.http import router as public_router
from commerce.user.adapters.inbound.internal import internal_router
from commerce.user.adapters.outbound.argon2_hasher import Argon2Parameters, Argon2PasswordHasher
from commerce.user.adapters.outbound.tables import admin_audit, dead_letters, outbox
from commerce.user.adapters.outbound.unit_of_work import SqlaUserUnitOfWork
from commerce.user.application.change_role import GrantRoleHandler, RevokeRoleHandler
from commerce.user.application.find_user import FindUserByEmailHandler
from commerce.user.application.get_profile import GetProfileHandler
from commerce.user.application.ports import PasswordHasher
from commerce.user.application.register_user import RegisterUserHandler
from commerce.user.application.use_cases import UserUseCases
from commerce.user.application.verify_credentials import VerifyCredentialsHandler
from commerce.user.settings import Settings

SERVICE_PACKAGE = "commerce.user"
# All that user does on Kafka (nobody consumes its events yet); its KafkaUser grants exactly
# this (ADR 0046).
KAFKA_ACCESS = KafkaAccess(produces=(USER_EVENTS,))


def load_settings() -> Settings:
    return Settings()


def new_user_id() -> str:
    return str(uuid.uuid4())


def build_hasher(settings: Settings) -> Argon2PasswordHasher:
    parameters = Argon2Parameters(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )
    return Argon2PasswordHasher(parameters, max_concurrency=settings.argon2_max_concurrency)


async def build_use_cases(
    database: Database,
    hasher: PasswordHasher,
    *,
    outbox_written: Callable[[], None] | None = None,
) -> UserUseCases:
    """The use cases over ``database``; also computes the dummy hash for unknown e-mails."""

    def new_uow() -> SqlaUserUnitOfWork:
        return SqlaUserUnitOfWork(database.connections, outbox_written=outbox_written)

    # A hash of a random secret nobody knows, made with the current parameters, so that an
    # unknown e-mail costs exactly what a wrong password does.
    dummy_hash = await hasher.hash(secrets.token_urlsafe(32))
    return UserUseCases(
        register_user=RegisterUserHandler(new_uow, hasher, utc_now, new_user_id),
        get_profile=GetProfileHandler(new_uow),
        verify_credentials=VerifyCredentialsHandler(new_uow, hasher, dummy_hash),
        grant_role=GrantRoleHandler(new_uow, utc_now),
        revoke_role=RevokeRoleHandler(new_uow, utc_now),
        find_user_by_email=FindUserByEmailHandler(new_uow),
    )


def run_operator_command(args: argparse.Namespace) -> int:
    """``commerce users ...`` against this service's database, as ``commerce migrate`` finds
    it (docs/adr/0125); its events leave through the outbox of the running service."""
    settings = load_settings()
    url = settings.resolved_database_url()
    if is_sqlite(url):
        path = make_url(url).database or ""
        if not path or not os.path.exists(path):
            # Opening it would create an empty file that then has no users table.
            print(
                f"commerce users {args.users_command}: cannot use the user database: "
                f"{path or url} does not exist (run `commerce migrate user` first)",
                file=sys.stderr,
            )
            return EXIT_UNAVAILABLE
    return asyncio.run(_operate(settings, url, args))


async def _operate(settings: Settings, url: str, args: argparse.Namespace) -> int:
    database = await Database.open(url, service_package=SERVICE_PACKAGE, migrate=False)
    hasher = build_hasher(settings)
    try:
        return await run_users_command(args, await build_use_cases(database, hasher))
    finally:
        hasher.close()
        await database.close()


def create_app(settings: Settings) -> FastAPI:
    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        hasher = build_hasher(settings)
        stack.callback(hasher.close)
        messaging = Messaging(settings, database, outbox, KAFKA_ACCESS, dead_letters=dead_letters)
        app.state.operations = operations_console("user", messaging, admin_audit)
        app.state.user_use_cases = await build_use_cases(
            database, hasher, outbox_written=messaging.notify_outbox
        )
        stack.push_async_callback(messaging.stop)
        # Starts the outbox relay; a broker that is down only delays UserRegistered.
        await messaging.start()
        # Readiness is the database only: sign-up and sign-in need no broker, and the outbox
        # keeps UserRegistered until the broker is back (docs/adr/0012).
        return {"database": database}

    lifespan = ServiceLifespan(start, checks=("database",))

    token = settings.internal_api_token
    # An empty value means "not set": it must never turn into "any empty header passes".
    internal_token = token.get_secret_value() if token is not None else ""
    if not internal_token and settings.database_url is not None:
        # Outside the embedded default the credential check is never open to any caller
        # (make run always generates the token; docs/adr/0038).
        raise RuntimeError(
            "USER_INTERNAL_API_TOKEN is required when USER_DATABASE_URL is set: without it "
            "anyone who reaches this port could check passwords"
        )
    return create_service_app(
        title="Commerce user service",
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
        routers=[
            public_router,
            internal_router(internal_token or None),
            admin_router("user"),
        ],
        readiness=lifespan.readiness,
        lifespan=lifespan,
    )
