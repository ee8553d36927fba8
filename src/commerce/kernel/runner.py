"""Runs one service's ASGI app under uvicorn with the platform's logging and tracing."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp

from commerce.kernel.logging import configure_logging
from commerce.kernel.observability.tracing import configure_tracing
from commerce.kernel.settings import ServiceSettings


def run_service(app: ASGIApp, settings: ServiceSettings) -> None:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        # uvicorn would otherwise take the client address from X-Forwarded-For whenever the
        # peer is 127.0.0.1, i.e. from any local client: the gateway decides the address
        # itself (GATEWAY_TRUSTED_PROXY_HOPS) and services read the header it sets.
        proxy_headers=False,
    )
