"""Request limits: body size (413) and the per-client request rate (429), docs/adr/0035."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from starlette.requests import Request

from commerce.kernel.observability.platform_metrics import record_rate_limit_hit
from commerce.kernel.ratelimit import Decision, Rate, RateLimiter, client_key

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


# What "the limiter's store is unavailable" looks like (asyncio's TimeoutError is the
# builtin since 3.11, and ConnectionError is an OSError). Anything else is a bug, and must
# not quietly turn the limit off.
STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, TimeoutError)


class ClientRateLimit:
    """One token bucket per client: per IPv4 address, per IPv6 /64 (``client_key``; a
    subscriber picks any address of its /64, so per-address buckets would be no limit).

    If the limiter's store fails (Redis down) the request is let through: the limit
    protects the platform from one noisy client, and must not take the platform down itself.
    Only store failures are forgiven: any other exception propagates (a 500, logged with its
    traceback), so a bug cannot silently disable rate limiting.
    """

    def __init__(self, limiter: RateLimiter, rate: Rate) -> None:
        self._limiter = limiter
        self._rate = rate

    async def check(self, client_address: str) -> Decision:
        try:
            decision = await self._limiter.hit(f"request:{client_key(client_address)}", self._rate)
        except STORE_ERRORS as error:
            log.warning(
                "rate limiter unavailable, letting the request in: %s: %s",
                type(error).__name__,
                error,
            )
            return Decision.allow()
        if not decision.allowed:
            record_rate_limit_hit("request")
        return decision
