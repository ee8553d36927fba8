"""Composition root of the auth service: settings in, FastAPI app out.

Nothing happens at import time. The lifespan opens the database (and Redis when
``AUTH_REDIS_URL`` is set), loads or creates the signing key and wires the use cases.
Refresh tokens and rate-limit counters live in Redis when it is configured (shared by every
replica), else in SQL and in process memory (one process, no servers needed).
"""

from __future__ import annotations

import logging
import uuid
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from commerce.auth.adapters.inbound.cookie_http import cookie_router
from commerce.auth.adapters.inbound.http import AuthHttpContext, router
from commerce.auth.adapters.inbound.refresh_cookie import RefreshCookies
from commerce.auth.adapters.outbound.jwt_issuer import JwtAccessTokenIssuer
from commerce.auth.adapters.outbound.keys import load_key_set
from commerce.auth.adapters.outbound.redis_token_store import RedisRefreshTokenStore
from commerce.auth.adapters.outbound.sql_token_store import SqlaRefreshTokenStore
from commerce.auth.adapters.outbound.user_client import (
    HttpCredentialVerifier,
    HttpUserDirectory,
    user_service_client,
)
from commerce.auth.application.log_in import LogInHandler
from commerce.auth.application.log_out import LogOutHandler
from commerce.auth.application.ports import (
    AccessTokenIssuer,
    CredentialVerifier,
    RefreshTokenStore,
    UserDirectory,
)
from commerce.auth.application.refresh import RefreshHandler
from commerce.auth.application.throttle import LoginThrottle
from commerce.auth.application.use_cases import AuthUseCases
from commerce.auth.settings import AuthSettings
from commerce.kernel.background import PeriodicTask
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_verifier
from commerce.kernel.http.lifespan import Pingable, ServiceLifespan, open_database
from commerce.kernel.ports import Clock, IdFactory
from commerce.kernel.ratelimit import InMemoryRateLimiter, RateLimiter
from commerce.kernel.ratelimit_redis import RedisRateLimiter

SERVICE_PACKAGE = "commerce.auth"
log = logging.getLogger("commerce.auth")
REDIS_TIMEOUT_SECONDS = 2.0


async def _purge(store: SqlaRefreshTokenStore, clock: Clock) -> None:
    """Delete expired SQL refresh tokens (Redis expires its keys itself)."""
    removed = await store.purge_expired(clock())
    if removed:
        log.info("purged %d expired refresh tokens", removed)


def load_settings() -> AuthSettings:
    return AuthSettings()


def new_family_id() -> str:
    return str(uuid.uuid4())


def build_use_cases(
    *,
    verifier: CredentialVerifier,
    directory: UserDirectory,
    issuer: AccessTokenIssuer,
    store: RefreshTokenStore,
    throttle: LoginThrottle,
    clock: Clock,
    refresh_ttl: timedelta,
    new_id: IdFactory = new_family_id,
) -> AuthUseCases:
    """The three use cases over one set of ports."""
    return AuthUseCases(
        log_in=LogInHandler(verifier, issuer, store, throttle, clock, refresh_ttl, new_id),
        refresh=RefreshHandler(directory, issuer, store, clock, refresh_ttl),
        log_out=LogOutHandler(issuer, store, clock),
    )


def create_app(
    settings: AuthSettings,
    *,
    user_service_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The auth service; ``user_service_transport`` and ``clock`` are seams for tests."""

    async def start(app: FastAPI, stack: AsyncExitStack) -> dict[str, Pingable]:
        database = await open_database(stack, settings, SERVICE_PACKAGE)
        started: dict[str, Pingable] = {"database": database}
        sql_store = SqlaRefreshTokenStore(database.connections)
        store: RefreshTokenStore = sql_store
        the_clock = clock or utc_now
        limiter: RateLimiter = InMemoryRateLimiter(max_keys=settings.rate_limit_max_keys)
        if settings.redis_url:
            redis_client = Redis.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            stack.push_async_callback(redis_client.aclose)
            started["redis"] = redis_client
            prefix = settings.redis_key_prefix
            store = RedisRefreshTokenStore(redis_client, prefix=prefix)
            limiter = RedisRateLimiter(redis_client, prefix=prefix + "ratelimit:")
        client = user_service_client(
            settings.user_service_url,
            settings.user_service_timeout_seconds,
            transport=user_service_transport,
        )
        stack.push_async_callback(client.aclose)
        token = settings.user_service_token
        internal_token = token.get_secret_value() if token else None
        keys = load_key_set(
            settings.signing_key_file,
            settings.generated_key_path(),
            settings.extra_public_key_paths(),
        )
        use_cases = build_use_cases(
            verifier=HttpCredentialVerifier(client, internal_token=internal_token),
            directory=HttpUserDirectory(client, internal_token=internal_token),
            issuer=JwtAccessTokenIssuer(
                keys.signing,
                issuer=settings.issuer,
                audience=settings.audience,
                ttl_seconds=settings.access_token_ttl_seconds,
            ),
            store=store,
            throttle=LoginThrottle(
                limiter,
                per_account=settings.login_rate_per_account_rule(),
                per_address=settings.login_rate_per_address_rule(),
            ),
            clock=the_clock,
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
        if store is sql_store and settings.purge_interval_seconds > 0:
            purge = PeriodicTask(
                "refresh-token-purge",
                partial(_purge, sql_store, the_clock),
                settings.purge_interval_seconds,
                run_at_start=False,
            )
            await purge.run_once()
            purge.start()
            stack.push_async_callback(purge.stop)
        app.state.auth = AuthHttpContext(
            use_cases=use_cases,
            jwks=keys.jwks(),
            jwks_max_age_seconds=settings.jwks_max_age_seconds,
            cookies=RefreshCookies(
                secure=settings.refresh_cookie_secure,
                allowed_origins=settings.refresh_cookie_origin_set(),
            ),
        )
        return started

    checks = ("database", "redis") if settings.redis_url else ("database",)
    lifespan = ServiceLifespan(start, checks=checks)
    # A store or the user service being down is a 503 with Retry-After, from the kernel's
    # problems table (store errors are kernel outages, UserServiceUnavailable a
    # DependencyUnavailable): nothing auth-specific to install.
    return create_service_app(
        title="Auth service",
        # The cookie routes first: they take only the requests that opt in (docs/adr/0024).
        routers=[cookie_router, router],
        readiness=lifespan.readiness,
        lifespan=lifespan,
        proofs=proof_verifier(settings.gateway_public_key_file, settings.var_dir),
    )
