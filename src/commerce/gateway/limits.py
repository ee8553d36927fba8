"""Request limits: body size (413) and the per-client request rate (429), docs/adr/0035."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

from starlette.types import Receive

from commerce.kernel.observability.platform_metrics import record_rate_limit_hit
from commerce.kernel.ratelimit import Decision, InMemoryRateLimiter, Rate, client_key


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its body was complete."""


class RequestBody:
    """The client's body, read from ASGI ``receive`` as the upstream takes it, never whole.

    More than ``max_bytes`` stops the stream (:class:`BodyTooLarge`); a client that goes away
    stops it too (:class:`ClientGone`). What ended it stays in ``refused`` for the caller, as
    the HTTP client may wrap the exception. ``started`` tells whether any of it was read:
    a request whose body was read once cannot be sent again.
    """

    __slots__ = ("_max_bytes", "_receive", "refused", "size", "started")

    def __init__(self, receive: Receive, max_bytes: int) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self.started = False
        self.size = 0
        self.refused: Exception | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.refused = ClientGone()
                raise self.refused
            chunk: bytes = message.get("body", b"")
            self.size += len(chunk)
            if self.size > self._max_bytes:
                self.refused = BodyTooLarge()
                raise self.refused
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The client's ``Content-Length`` when it is a plain number, else ``None``."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """A body follows: a non-zero length, or a transfer coding (chunked)."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


class ClientRateLimit:
    """One token bucket per client: per IPv4 address, per IPv6 /64 (``client_key``; a
    subscriber picks any address of its /64, so per-address buckets would be no limit).

    Every decision is taken here, in memory, with no await (docs/adr/0037): a request never
    waits for Redis. With several replicas, a :class:`commerce.gateway.shared_limit.
    SharedBuckets` reconciles the buckets with Redis in the background; for that, each
    allowed hit is also counted in ``pending`` until the next reconciliation.
    """

    def __init__(
        self, rate: Rate, *, limiter: InMemoryRateLimiter | None = None, shared: bool = False
    ) -> None:
        self.rate = rate
        self.buckets = limiter if limiter is not None else InMemoryRateLimiter()
        self._shared = shared
        self.pending: dict[str, int] = {}

    def check(self, client_address: str) -> Decision:
        key = bucket_key(client_address)
        decision = self.buckets.take(key, self.rate)
        if not decision.allowed:
            record_rate_limit_hit("request")
        elif self._shared:
            self.pending[key] = self.pending.get(key, 0) + 1
        return decision


@lru_cache(maxsize=65_536)
def bucket_key(client_address: str) -> str:
    """The bucket of an address (cached: parsing an address costs more than the bucket)."""
    return "request:" + client_key(client_address)
