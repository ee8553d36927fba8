"""Runs one service under uvicorn with the platform's logging and tracing, in one process or
in ``<SERVICE>_WORKERS`` processes sharing its port (docs/adr/0044)."""

from __future__ import annotations

import gc
import importlib
import os
import signal
from types import ModuleType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from commerce.kernel.http.guarded import GuardedHttpToolsProtocol, apply_edge_limits
from commerce.kernel.logging import configure_logging
from commerce.kernel.observability.tracing import configure_tracing
from commerce.kernel.processes import die_with_parent
from commerce.kernel.settings import ServiceSettings

# How a worker process (started by uvicorn's supervisor) learns which service it is.
WORKER_SERVICE_ENV = "COMMERCE_WORKER_SERVICE"


def _bootstrap(name: str) -> ModuleType:
    return importlib.import_module(f"commerce.{name}.bootstrap")


def _configured_app(name: str) -> tuple[ASGIApp, ServiceSettings]:
    bootstrap = _bootstrap(name)
    settings: ServiceSettings = bootstrap.load_settings()
    configure_logging(settings.service_name, settings.log_level)
    apply_edge_limits(settings.edge_limits())
    app: ASGIApp = bootstrap.create_app(settings)
    configure_tracing(settings)  # after the app: it instruments the HTTP clients it loaded
    freeze_what_start_up_built()
    return app, settings


def freeze_what_start_up_built() -> None:
    """Take what the imports and the app built (modules, classes, schemas, compiled
    routes: about a hundred thousand objects, which live as long as the process) out of the
    cyclic garbage collector's sight. Each full collection walked them all: 70 ms of CPU
    in one piece, stalling every request and message of the process meanwhile, once or
    twice a minute under the bench's load (docs/adr/0006, later section). Garbage left by
    start-up is collected first, so nothing dead is kept."""
    gc.collect()
    gc.freeze()


def worker_app() -> ASGIApp:
    """uvicorn's factory in each worker process: the service named by the supervisor."""
    die_with_parent()  # a supervisor killed with SIGKILL takes its workers along
    app, _ = _configured_app(os.environ[WORKER_SERVICE_ENV])
    return app


def _exit_on_sigterm() -> None:
    """After its graceful shutdown uvicorn raises the SIGTERM it caught once more, which the
    default handler answers by ending the process on the spot: the log lines still queued for
    the writer thread (``kernel.logging``), the last ones of the shutdown, were lost. Exiting
    through ``SystemExit`` instead runs the exit handlers, which write them."""

    def exit_cleanly(signum: int, _: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_cleanly)


def run_service(name: str) -> None:
    """``commerce serve NAME``: the service on its port, in ``settings.workers`` processes."""
    _exit_on_sigterm()
    bootstrap = _bootstrap(name)
    settings: ServiceSettings = bootstrap.load_settings()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        # uvicorn would otherwise take the client address from X-Forwarded-For whenever the
        # peer is 127.0.0.1, i.e. from any local client: the gateway decides the address
        # itself (GATEWAY_TRUSTED_PROXY_HOPS) and services read the header it sets.
        "proxy_headers": False,
        # Edge limits (kernel.http.guarded), and an answer's head and body in one segment.
        "http": GuardedHttpToolsProtocol,
        "server_header": False,
    }
    if settings.workers == 1:
        app, _ = _configured_app(name)
        uvicorn.run(app, **options)
        return
    # Each worker builds its own app (its own pools, consumer group member and relay); the
    # supervisor holds the listening socket and restarts a worker that dies.
    configure_logging(settings.service_name, settings.log_level)
    os.environ[WORKER_SERVICE_ENV] = name
    uvicorn.run(
        "commerce.kernel.runner:worker_app", factory=True, workers=settings.workers, **options
    )
