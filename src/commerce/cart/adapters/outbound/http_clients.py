"""The pooled HTTP clients the cart keeps for the order and product services."""

from __future__ import annotations

import httpx

from commerce.kernel.http.request_id import forward_request_id


def peer_client(
    base_url: str, timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One client per peer for the life of the process; it carries the request id along."""
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        event_hooks={"request": [forward_request_id]},
        follow_redirects=False,
    )
