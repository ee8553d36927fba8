"""Composition root of the gateway: settings in, ASGI app out (nothing at import time)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from redis.asyncio import Redis
from starlette.types import Receive, Scope, Send

from commerce.gateway import problems
from commerce.gateway.admin import serving_admin_port
from commerce.gateway.admin_services import services_router
from commerce.gateway.breaker import CircuitBreaker, State
from commerce.gateway.jwks import JwksCache, JwksFetchError
from commerce.gateway.limits import ClientRateLimit
from commerce.gateway.openapi import OpenApiCatalog
from commerce.gateway.pipeline import Pipeline
from commerce.gateway.resilience import ResilientCaller, RetryPolicy
from commerce.gateway.revocations import RevokedSessions, SharedRevocations
from commerce.gateway.routing import UPSTREAMS, Route, has_dot_segments, route_by_prefix
from commerce.gateway.settings import GatewaySettings
from commerce.gateway.shared_limit import SharedBuckets
from commerce.gateway.tokens import TokenVerifier
from commerce.gateway.upstream import Forwarder, build_session
from commerce.kernel.background import PeriodicTask
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.gateway_proof import proof_signer
from commerce.kernel.http.health import ReadinessCheck
from commerce.kernel.observability.middleware import ServiceMiddleware
from commerce.kernel.observability.platform_metrics import set_circuit_state
from commerce.kernel.ratelimit import Rate
from commerce.web.serving import mount_web_app

FETCH_TIMEOUT = aiohttp.ClientTimeout(total=2.0)
FIRST_FETCH_SECONDS = 3.0
STOP_SECONDS = 5.0
REVOKED_SWEEP_SECONDS = 60.0
log = logging.getLogger("commerce.gateway")


def load_settings() -> GatewaySettings:
    return GatewaySettings()


class Gateway:
    """Holds what lives as long as the process: the connection pool and the caches."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self.upstream_urls = settings.upstream_urls()
        self.jwks = JwksCache(
            self._fetch_jwks,
            max_age_seconds=settings.jwks_max_age_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
        )
        self.openapi = OpenApiCatalog(self._fetch_openapi, UPSTREAMS)
        self.revoked = RevokedSessions(leeway_seconds=settings.leeway_seconds)
        self.verifier = TokenVerifier(
            self.jwks,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway_seconds=settings.leeway_seconds,
            cache_size=settings.token_cache_size,
            revoked=self.revoked,
        )
        self.breakers = {
            name: CircuitBreaker(
                name,
                failure_threshold=settings.breaker_failure_threshold,
                reset_seconds=settings.breaker_reset_seconds,
                on_change=_publish_circuit_state,
            )
            for name in UPSTREAMS
        }
        for name in UPSTREAMS:
            set_circuit_state(name, "closed")
        self._redis: Redis | None = None
        self._subscriber: Redis | None = None
        self.shared_limit: SharedBuckets | None = None
        self.shared_revocations: SharedRevocations | None = None
        self._pipeline: Pipeline | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway is not running (lifespan not started)")
        return self._session

    def _build_session(self) -> aiohttp.ClientSession:
        settings = self.settings
        return build_session(
            max_connections=settings.max_connections,
            keepalive_seconds=settings.keepalive_expiry_seconds,
            connect_seconds=settings.connect_timeout_seconds,
            read_seconds=settings.read_timeout_seconds,
        )

    async def _fetch_jwks(self) -> dict[str, Any]:
        # Errors carry a message of our own: safe to log, and no internal URL in it.
        try:
            async with self.session.get(
                self.settings.resolved_jwks_url(), timeout=FETCH_TIMEOUT
            ) as response:
                if response.status >= 300:
                    raise JwksFetchError(f"auth answered HTTP {response.status}")
                body = await response.read()
        except TimeoutError as error:
            raise JwksFetchError(f"timed out ({type(error).__name__})") from error
        except aiohttp.ClientError as error:
            raise JwksFetchError(f"transport error ({type(error).__name__})") from error
        try:
            document: dict[str, Any] = json.loads(body)
        except ValueError as error:
            raise JwksFetchError("the answer is not JSON") from error
        return document

    async def _fetch_openapi(self, upstream: str) -> dict[str, Any]:
        url = self.upstream_urls[upstream] + "/openapi.json"
        async with self.session.get(url, timeout=FETCH_TIMEOUT) as response:
            response.raise_for_status()
            document: dict[str, Any] = json.loads(await response.read())
        return document

    def _timeouts(self) -> dict[str, aiohttp.ClientTimeout]:
        timeouts = {}
        for name in UPSTREAMS:
            connect, read = self.settings.timeouts_for(name)
            # connect covers the wait for a pooled connection too; read is between reads.
            timeouts[name] = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        return timeouts

    def _rate_limit(self) -> ClientRateLimit | None:
        settings = self.settings
        if not settings.rate_limit_enabled:
            return None
        rate = Rate(
            limit=settings.rate_limit_requests,
            period_seconds=settings.rate_limit_period_seconds,
            burst=settings.rate_limit_burst,
        )
        limit = ClientRateLimit(rate, shared=bool(settings.redis_url))
        if settings.redis_url:
            self.shared_limit = SharedBuckets(
                limit,
                self._shared_redis(settings.redis_url),
                prefix=settings.redis_key_prefix + "ratelimit:",
            )
        return limit

    def readiness(self) -> dict[str, ReadinessCheck]:
        checks: dict[str, ReadinessCheck] = {"jwks": self.jwks.ensure}
        if self.settings.redis_url:
            checks["redis"] = self._ping_redis
        return checks

    def _shared_redis(self, redis_url: str) -> Redis:
        """The one client for the rate limit's rounds and the revocations' writes."""
        if self._redis is None:
            self._redis = Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=1.0)
        return self._redis

    def _share_revocations(self, redis_url: str) -> SharedRevocations:
        self._subscriber = Redis.from_url(
            redis_url, socket_connect_timeout=1.0, health_check_interval=30
        )
        self.shared_revocations = SharedRevocations(
            self.revoked,
            self._shared_redis(redis_url),
            self._subscriber,
            prefix=self.settings.redis_key_prefix,
        )
        return self.shared_revocations

    async def _ping_redis(self) -> None:
        if self._redis is None:
            raise RuntimeError("not running")
        await self._redis.ping()

    async def handle(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        """One client request on a path that ``route``'s prefix covers."""
        if self._pipeline is None:
            raise RuntimeError("the gateway is not running (lifespan not started)")
        path: str = scope["path"]
        if has_dot_segments(path):
            await problems.not_routed()(scope, receive, send)
            return
        scope["route_template"] = route.template_for(path)
        await self._pipeline(scope, receive, send, route)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._session = self._build_session()
        settings = self.settings
        forwarder = Forwarder(
            self._session,
            self.upstream_urls,
            self._timeouts(),
            event_stream_read_seconds=settings.event_stream_read_timeout_seconds,
        )
        retry = RetryPolicy(
            attempts=settings.retry_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
            backoff_max_seconds=settings.retry_backoff_max_seconds,
        )
        self._pipeline = Pipeline(
            verifier=self.verifier,
            signer=proof_signer(settings.proof_signing_key_file, settings.var_dir),
            caller=ResilientCaller(forwarder, self.breakers, retry),
            base_urls=self.upstream_urls,
            trusted_hops=settings.trusted_proxy_hops,
            max_body_bytes=settings.max_body_bytes,
            rate_limit=self._rate_limit(),
            revoked=self.revoked,
        )
        refreshers: list[asyncio.Task[None]] = []
        reconciling: PeriodicTask | None = None
        forgetting = PeriodicTask(
            "gateway-revoked-sessions-sweep",
            _forget_expired(self.revoked),
            REVOKED_SWEEP_SECONDS,
            run_at_start=False,
        )
        try:
            forgetting.start()
            if settings.redis_url:
                refreshers.append(
                    asyncio.create_task(
                        self._share_revocations(settings.redis_url).follow(),
                        name="gateway-revoked-sessions-follow",
                    )
                )
            # Warm the caches, but never refuse to start: auth may come up after us.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.jwks.refresh(), FIRST_FETCH_SECONDS)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.openapi.refresh(), FIRST_FETCH_SECONDS)
            # Both caches are refreshed here, in the background, never inside a request.
            refreshers.append(
                asyncio.create_task(
                    self.jwks.keep_fresh(settings.jwks_retry_seconds), name="gateway-jwks-refresh"
                )
            )
            refreshers.append(
                asyncio.create_task(
                    self.openapi.keep_fresh(
                        settings.openapi_refresh_seconds, settings.openapi_retry_seconds
                    ),
                    name="gateway-openapi-refresh",
                )
            )
            if self.shared_limit is not None:
                reconciling = PeriodicTask(
                    "gateway-rate-limit-sync",
                    self.shared_limit.reconcile_or_limit_alone,
                    settings.rate_limit_sync_seconds,
                    run_at_start=False,
                )
                reconciling.start()
            yield
        finally:
            await forgetting.stop()
            if reconciling is not None:
                await reconciling.stop()
            for refresher in refreshers:
                refresher.cancel()
            if refreshers:
                # Bounded: a refresher that does not stop must not hold the shutdown for ever.
                _, stuck = await asyncio.wait(refreshers, timeout=STOP_SECONDS)
                for task in stuck:
                    log.warning("%s did not stop when cancelled", task.get_name())
            await self.jwks.aclose()
            self._pipeline = None
            await self._session.close()
            self._session = None
            if self.shared_revocations is not None:
                await self.shared_revocations.aclose()
            for client in (self._redis, self._subscriber):
                if client is not None:
                    await client.aclose()
            self._redis = self._subscriber = None


def _forget_expired(revoked: RevokedSessions) -> Callable[[], Awaitable[None]]:
    async def forget() -> None:
        revoked.forget_expired()

    return forget


def _publish_circuit_state(upstream: str, state: State) -> None:
    set_circuit_state(upstream, state.value)


class GatewayApp:
    """The gateway's ASGI app: proxied paths go straight to the pipeline (no framework
    routing on the hot path); health, the merged OpenAPI and docs are FastAPI's.
    One :class:`ServiceMiddleware` wraps both."""

    def __init__(self, gateway: Gateway, platform: FastAPI) -> None:
        self.gateway = gateway
        self.platform = platform
        # What the tests and the runner expect of a service app.
        self.state = platform.state
        self.router = platform.router
        self._app = ServiceMiddleware(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = route_by_prefix(scope["path"]) if scope["type"] == "http" else None
        if route is not None:
            await self.gateway.handle(scope, receive, send, route)
        else:
            await self.platform(scope, receive, send)


def _metrics_url(settings: GatewaySettings) -> str:
    return f"http://{settings.admin_host}:{settings.admin_port}/metrics"


def create_app(settings: GatewaySettings) -> GatewayApp:
    gateway = Gateway(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with (
            gateway.running(),
            serving_admin_port(settings.admin_host, settings.admin_port),
        ):
            yield

    # The console's list of processes and their metrics (docs/adr/0049).
    own_routes = services_router(gateway.verifier, gateway.upstream_urls, _metrics_url(settings))
    platform = create_service_app(
        title="Commerce API gateway",
        routers=[own_routes],
        readiness=gateway.readiness(),
        lifespan=lifespan,
        proofs=None,  # the gateway makes proofs; its own routes take no identity
        wrapped=False,
        metrics=False,  # on the admin port (gateway.admin)
    )
    # The documented FastAPI hook for a custom schema: /openapi.json and /docs serve the merge,
    # which includes the gateway's own operations (its admin routes).
    gateway.openapi.include_own(
        get_openapi(title=platform.title, version=platform.version, routes=own_routes.routes)
    )
    platform.openapi = gateway.openapi.document  # type: ignore[method-assign]
    platform.state.gateway = gateway
    mount_web_app(platform)  # the storefront: off the proxied path, beside /docs
    return GatewayApp(gateway, platform)
