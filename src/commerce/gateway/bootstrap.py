"""Composition root of the gateway: settings in, ASGI app out (nothing at import time)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response

from commerce.gateway.jwks import JwksCache
from commerce.gateway.openapi import OpenApiCatalog
from commerce.gateway.pipeline import Pipeline
from commerce.gateway.routing import ROUTES, UPSTREAMS
from commerce.gateway.settings import GatewaySettings
from commerce.gateway.tokens import TokenVerifier
from commerce.gateway.upstream import Forwarder
from commerce.kernel.http.app import create_service_app

PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
FETCH_TIMEOUT = httpx.Timeout(2.0)
FIRST_OPENAPI_FETCH_SECONDS = 3.0


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
        )
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
        response = await self.client.get(self.settings.resolved_jwks_url(), timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    async def _fetch_openapi(self, upstream: str) -> dict[str, Any]:
        url = self.upstream_urls[upstream] + "/openapi.json"
        response = await self.client.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def _timeouts(self) -> dict[str, httpx.Timeout]:
        settings = self.settings
        timeout = httpx.Timeout(
            settings.read_timeout_seconds, connect=settings.connect_timeout_seconds
        )
        return {name: timeout for name in UPSTREAMS}

    async def handle(self, request: Request) -> Response:
        if self._pipeline is None:
            raise RuntimeError("the gateway is not running (lifespan not started)")
        return await self._pipeline.handle(request)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._client = self._build_client()
        forwarder = Forwarder(self._client, self.upstream_urls, self._timeouts())
        self._pipeline = Pipeline(
            verifier=self.verifier,
            forwarder=forwarder,
            trusted_hops=self.settings.trusted_proxy_hops,
        )
        refresher: asyncio.Task[None] | None = None
        try:
            # Warm the caches, but never refuse to start: auth may come up after us.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.jwks.refresh(), FIRST_OPENAPI_FETCH_SECONDS)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.openapi.refresh(), FIRST_OPENAPI_FETCH_SECONDS)
            refresher = asyncio.create_task(
                self.openapi.keep_fresh(
                    self.settings.openapi_refresh_seconds, self.settings.openapi_retry_seconds
                ),
                name="gateway-openapi-refresh",
            )
            yield
        finally:
            if refresher is not None:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            self._pipeline = None
            await self._client.aclose()
            self._client = None


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
        readiness={"jwks": gateway.jwks.ensure},
        lifespan=lifespan,
    )
    # The documented FastAPI hook for a custom schema: /openapi.json and /docs serve the merge.
    app.openapi = gateway.openapi.document  # type: ignore[method-assign]
    app.state.gateway = gateway
    return app
