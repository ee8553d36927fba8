"""The pooled HTTP client a service keeps for each peer service it calls (auth -> user,
cart -> order and product): timeouts, a bounded pool, the request id and the trace context
carried along."""

from __future__ import annotations

import httpx
from opentelemetry import propagate

from commerce.kernel.http.request_id import forward_request_id
from commerce.kernel.observability.tracing import tracing_enabled


async def forward_trace_context(request: httpx.Request) -> None:
    """httpx event hook: the callee continues the caller's trace (its ``traceparent``), so
    one trace id runs through the logs of both, even when no span is exported. A process
    that exports spans also has httpx instrumented, which makes a client span and puts its
    own context in the header instead (docs/adr/0081)."""
    if tracing_enabled():
        propagate.inject(request.headers)


def peer_client(
    base_url: str,
    timeout_seconds: float,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    max_connections: int = 50,
) -> httpx.AsyncClient:
    """One client per peer for the life of the process (``transport`` is for tests).

    Every connection it may open it may also keep: with fewer kept than opened, each call
    past the kept number under steady concurrency opened a connection and closed it after
    its answer (the database pool's trap, docs/adr/0009). Idle ones still close after
    httpx's keep-alive expiry (5 s)."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        event_hooks={"request": [forward_request_id, forward_trace_context]},
        follow_redirects=False,
    )
