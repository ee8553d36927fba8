"""The gateway's admin port: ``/metrics`` for Prometheus, never served to clients.

The client port is the internet's; what the process counts (upstreams, circuit states, rate
limit hits) is the operators'. So the gateway answers ``/metrics`` on a port of its own
(``GATEWAY_ADMIN_HOST``/``GATEWAY_ADMIN_PORT``, loopback by default), served by aiohttp,
which the gateway already carries for its upstream pool. With several workers each binds the
port with SO_REUSEPORT, and a scrape sees the worker that answers, as on the services.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest


def admin_app(registry: CollectorRegistry = REGISTRY) -> web.Application:
    async def metrics(_: web.Request) -> web.Response:
        # Rendering walks every series: off the event loop, like the services' /metrics.
        body = await asyncio.to_thread(generate_latest, registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


@contextlib.asynccontextmanager
async def serving_admin_port(host: str, port: int) -> AsyncIterator[None]:
    """The admin app listening on ``host:port`` for as long as the block runs."""
    runner = web.AppRunner(admin_app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_port=True).start()
        yield
    finally:
        await runner.cleanup()
