"""The one way every service builds its FastAPI application."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from commerce.kernel.http.gateway_proof import ProofVerifier
from commerce.kernel.http.health import ReadinessCheck, health_router
from commerce.kernel.http.openapi import describe_errors_as_problems
from commerce.kernel.http.problems import install_problem_handlers
from commerce.kernel.observability.metrics import metrics_router
from commerce.kernel.observability.middleware import ServiceMiddleware

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]] | None

# Newer FastAPI releases trace requests themselves once a tracer provider is installed. Our
# middleware already makes the one server span per request (same on every FastAPI version
# we allow), so the native one is switched off where it exists (docs/adr/0081).
_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_service_app(
    *,
    title: str,
    routers: Iterable[APIRouter],
    readiness: Mapping[str, ReadinessCheck],
    proofs: ProofVerifier | None,
    lifespan: Lifespan = None,
    version: str = "1.0.0",
    wrapped: bool = True,
    metrics: bool = True,
) -> FastAPI:
    """FastAPI app with problem+json errors, request ids, health endpoints, ``/metrics``,
    and per request a server span, request metrics and an access-log line.

    Identity and client address come only from a proof in ``proofs`` (docs/adr/0038).
    ``wrapped=False`` leaves out the :class:`ServiceMiddleware`, for an app that puts it
    around more than this one (the gateway's proxy path); ``metrics=False`` leaves out
    ``/metrics``, for an app whose port is the clients' (the gateway serves its own on an
    admin port)."""
    # No trailing-slash redirects: their Location is built from the request's Host header.
    # The docs pages load Swagger UI from this process, not from a CDN (works offline).
    app = FastAPIOffline(
        title=title,
        version=version,
        lifespan=lifespan,
        redirect_slashes=False,
        **_NATIVE_TELEMETRY,
    )
    install_problem_handlers(app)
    describe_errors_as_problems(app)
    # Platform endpoints first, so that no service route (say a proxy's catch-all) hides them.
    app.include_router(health_router(readiness))
    if metrics:
        app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    if wrapped:
        app.add_middleware(ServiceMiddleware, proofs=proofs)
    return app
