"""The one way every service builds its FastAPI application."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI

from commerce.kernel.http.health import ReadinessCheck, health_router
from commerce.kernel.http.problems import install_problem_handlers
from commerce.kernel.http.request_id import RequestIdMiddleware

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]] | None


def create_service_app(
    *,
    title: str,
    routers: Iterable[APIRouter],
    readiness: Mapping[str, ReadinessCheck],
    lifespan: Lifespan = None,
    version: str = "1.0.0",
) -> FastAPI:
    """FastAPI app with problem+json errors, request ids and health endpoints."""
    app = FastAPI(title=title, version=version, lifespan=lifespan)
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(readiness))
    app.add_middleware(RequestIdMiddleware)
    return app
