"""The pooled HTTP client a service keeps for each peer service it calls (auth -> user,
cart -> order and product): timeouts, a bounded pool, the request id carried along."""

from __future__ import annotations

import httpx

from commerce.kernel.http.request_id import forward_request_id


def peer_client(
    base_url: str,
    timeout_seconds: float,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    max_connections: int = 50,
    max_keepalive_connections: int = 10,
) -> httpx.AsyncClient:
    """One client per peer for the life of the process (``transport`` is for tests)."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive_connections
        ),
        event_hooks={"request": [forward_request_id]},
        follow_redirects=False,
    )
