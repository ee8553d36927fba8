"""Request limits: body size (413) and the per-client request rate (429), docs/adr/0035."""

from __future__ import annotations

import logging

from starlette.requests import Request

from commerce.kernel.observability.platform_metrics import record_rate_limit_hit
from commerce.kernel.ratelimit import Decision, Rate, RateLimiter

log = logging.getLogger("commerce.gateway.limits")


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, refusing more than ``max_bytes`` without reading it all.

    A declared ``Content-Length`` over the limit is refused before reading anything; a
    chunked body is counted as it arrives.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class ClientRateLimit:
    """One token bucket per client address.

    If the limiter's store fails (Redis down) the request is let through: the limit
    protects the platform from one noisy client, and must not take the platform down itself.
    """

    def __init__(self, limiter: RateLimiter, rate: Rate) -> None:
        self._limiter = limiter
        self._rate = rate

    async def check(self, client_address: str) -> Decision:
        try:
            decision = await self._limiter.hit(f"request:{client_address}", self._rate)
        except Exception as error:
            log.warning(
                "rate limiter unavailable, letting the request in: %s", type(error).__name__
            )
            return Decision.allow()
        if not decision.allowed:
            record_rate_limit_hit("request")
        return decision
