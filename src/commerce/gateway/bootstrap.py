"""Composition root of the gateway: settings in, ASGI app out (nothing at import time)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response

from commerce.gateway.breaker import CircuitBreaker, State
from commerce.gateway.jwks import JwksCache, JwksFetchError
from commerce.gateway.limits import ClientRateLimit
from commerce.gateway.openapi import OpenApiCatalog
from commerce.gateway.pipeline import Pipeline
from commerce.gateway.resilience import ResilientCaller, RetryPolicy
from commerce.gateway.routing import ROUTES, UPSTREAMS
from commerce.gateway.settings import GatewaySettings
from commerce.gateway.tokens import TokenVerifier
from commerce.gateway.upstream import Forwarder
from commerce.kernel.http.app import create_service_app
from commerce.kernel.http.health import ReadinessCheck
from commerce.kernel.observability.platform_metrics import set_circuit_state
from commerce.kernel.ratelimit import InMemoryRateLimiter, Rate, RateLimiter
from commerce.kernel.ratelimit_redis import RedisRateLimiter

PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FETCH_TIMEOUT = httpx.Timeout(2.0)
FIRST_FETCH_SECONDS = 3.0


def load_settings() -> GatewaySettings:
    return GatewaySettings()


class Gateway:
    """Holds what lives as long as the process: the connection pool and the caches.

    ``transport`` lets tests put in-process stub upstreams behind the same client.
    """

    def __init__(
        self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.upstream_urls = settings.upstream_urls()
        self.jwks = JwksCache(
            self._fetch_jwks,
            max_age_seconds=settings.jwks_max_age_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
        )
        self.openapi = OpenApiCatalog(self._fetch_openapi, UPSTREAMS)
        self.verifier = TokenVerifier(
            self.jwks,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway_seconds=settings.leeway_seconds,
            cache_size=settings.token_cache_size,
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
        self._pipeline: Pipeline | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the gateway is not running (lifespan not started)")
        return self._client

    def _build_client(self) -> httpx.AsyncClient:
        settings = self.settings
        return httpx.AsyncClient(
            transport=self._transport,
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_keepalive_connections,
                keepalive_expiry=settings.keepalive_expiry_seconds,
            ),
            timeout=httpx.Timeout(
                settings.read_timeout_seconds, connect=settings.connect_timeout_seconds
            ),
            follow_redirects=False,
            trust_env=False,  # never send internal traffic through an environment proxy
        )

    async def _fetch_jwks(self) -> dict[str, Any]:
        # Errors carry a message of our own: safe to log, and no internal URL in it.
        try:
            response = await self.client.get(
                self.settings.resolved_jwks_url(), timeout=FETCH_TIMEOUT
            )
        except httpx.TimeoutException as error:
            raise JwksFetchError(f"timed out ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise JwksFetchError(f"transport error ({type(error).__name__})") from error
        if not response.is_success:
            raise JwksFetchError(f"auth answered HTTP {response.status_code}")
        try:
            document: dict[str, Any] = response.json()
        except ValueError as error:
            raise JwksFetchError("the answer is not JSON") from error
        return document

    async def _fetch_openapi(self, upstream: str) -> dict[str, Any]:
        url = self.upstream_urls[upstream] + "/openapi.json"
        response = await self.client.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def _timeouts(self) -> dict[str, httpx.Timeout]:
        timeouts = {}
        for name in UPSTREAMS:
            connect, read = self.settings.timeouts_for(name)
            # write and pool waits are bounded by the read timeout too.
            timeouts[name] = httpx.Timeout(read, connect=connect)
        return timeouts

    def _rate_limit(self) -> ClientRateLimit | None:
        settings = self.settings
        if not settings.rate_limit_enabled:
            return None
        limiter: RateLimiter
        if settings.redis_url:
            self._redis = Redis.from_url(
                settings.redis_url, socket_connect_timeout=1.0, socket_timeout=1.0
            )
            limiter = RedisRateLimiter(self._redis, prefix=settings.redis_key_prefix + "ratelimit:")
        else:
            limiter = InMemoryRateLimiter()
        rate = Rate(
            limit=settings.rate_limit_requests,
            period_seconds=settings.rate_limit_period_seconds,
            burst=settings.rate_limit_burst,
        )
        return ClientRateLimit(limiter, rate)

    def readiness(self) -> dict[str, ReadinessCheck]:
        checks: dict[str, ReadinessCheck] = {"jwks": self.jwks.ensure}
        if self.settings.redis_url:
            checks["redis"] = self._ping_redis
        return checks

    async def _ping_redis(self) -> None:
        if self._redis is None:
            raise RuntimeError("not running")
        await self._redis.ping()

    async def handle(self, request: Request) -> Response:
        if self._pipeline is None:
            raise RuntimeError("the gateway is not running (lifespan not started)")
        return await self._pipeline.handle(request)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._client = self._build_client()
        settings = self.settings
        forwarder = Forwarder(self._client, self.upstream_urls, self._timeouts())
        retry = RetryPolicy(
            attempts=settings.retry_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
            backoff_max_seconds=settings.retry_backoff_max_seconds,
        )
        self._pipeline = Pipeline(
            verifier=self.verifier,
            caller=ResilientCaller(forwarder, self.breakers, retry),
            base_urls=self.upstream_urls,
            trusted_hops=settings.trusted_proxy_hops,
            max_body_bytes=settings.max_body_bytes,
            rate_limit=self._rate_limit(),
        )
        refreshers: list[asyncio.Task[None]] = []
        try:
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
            yield
        finally:
            for refresher in refreshers:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            await self.jwks.aclose()
            self._pipeline = None
            await self._client.aclose()
            self._client = None
            if self._redis is not None:
                await self._redis.aclose()
                self._redis = None


def _publish_circuit_state(upstream: str, state: State) -> None:
    set_circuit_state(upstream, state.value)


def _proxy_router(handle: Callable[[Request], Awaitable[Response]]) -> APIRouter:
    # One route per table entry (its template labels metrics and spans); not in the schema,
    # which is the merged one of the services.
    async def proxy(request: Request) -> Response:
        return await handle(request)

    router = APIRouter()
    for route in ROUTES:
        paths = [route.prefix] if route.exact else [route.prefix, route.prefix + "/{rest:path}"]
        for path in paths:
            router.add_api_route(path, proxy, methods=PROXIED_METHODS, include_in_schema=False)
    return router


def create_app(
    settings: GatewaySettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    gateway = Gateway(settings, transport)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with gateway.running():
            yield

    app = create_service_app(
        title="Commerce API gateway",
        routers=[_proxy_router(gateway.handle)],
        readiness=gateway.readiness(),
        lifespan=lifespan,
    )
    # The documented FastAPI hook for a custom schema: /openapi.json and /docs serve the merge.
    app.openapi = gateway.openapi.document  # type: ignore[method-assign]
    app.state.gateway = gateway
    return app
