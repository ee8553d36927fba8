"""Token-bucket rate limiting shared by the services and the gateway.

A :class:`RateLimiter` answers one question per request: may ``key`` spend one more token
under ``rate``? Two adapters keep the buckets: :class:`InMemoryRateLimiter` (one process,
bounded memory; the embedded default) and ``commerce.kernel.ratelimit_redis.RedisRateLimiter``
(shared by every replica, atomic in one Lua script).

A bucket holds at most ``rate.burst`` tokens and refills at ``rate.limit`` tokens per
``rate.period_seconds``. A refused hit spends nothing, so a caller that keeps knocking is
let in again as soon as the refill allows. ``hit_many`` checks several buckets in one step
(one Redis round trip), all or nothing: a refused batch spends nothing in any bucket.

Limits per client address should key on :func:`client_key`, not on the raw address.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

DEFAULT_MAX_KEYS = 100_000
IPV6_CLIENT_PREFIX = 64


def client_key(address: str) -> str:
    """The rate-limit identity of a client address.

    An IPv4 address is its own key. An IPv6 address becomes its /64 network (e.g.
    ``2001:db8:1:2::/64``): one subscriber usually holds a whole /64 and can pick any address
    in it, so counting per address would let it rotate past every limit. An IPv4-mapped IPv6
    address (``::ffff:192.0.2.1``, as a dual-stack socket reports IPv4 peers) is the IPv4
    client it stands for; collapsing it to a /64 would put every IPv4 client in one bucket.
    Anything that is not an IP address (``"unknown"``, a host name) is returned unchanged.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv4Address):
        return address
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    network = ipaddress.IPv6Network((int(parsed), IPV6_CLIENT_PREFIX), strict=False)
    return str(network)


@dataclass(frozen=True)
class Rate:
    """``limit`` hits per ``period_seconds`` on average, at most ``burst`` in a row."""

    limit: int
    period_seconds: float = 60.0
    burst: int | None = None

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_seconds <= 0:
            raise ValueError("a rate needs limit >= 1 and a positive period")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1")

    @classmethod
    def per_minute(cls, limit: int, burst: int | None = None) -> Rate:
        return cls(limit=limit, period_seconds=60.0, burst=burst)

    @property
    def capacity(self) -> float:
        """The most tokens a bucket holds: the burst, or one period's worth."""
        return float(self.burst if self.burst is not None else self.limit)

    @property
    def refill_per_second(self) -> float:
        return self.limit / self.period_seconds


@dataclass(frozen=True)
class Decision:
    """The answer to one hit; ``retry_after_seconds`` is 0 when allowed, else at least 1."""

    allowed: bool
    retry_after_seconds: int = 0

    @classmethod
    def allow(cls) -> Decision:
        return cls(allowed=True, retry_after_seconds=0)

    @classmethod
    def deny(cls, wait_seconds: float) -> Decision:
        # Whole seconds for Retry-After, rounded up so a client that obeys is let in.
        return cls(allowed=False, retry_after_seconds=max(1, math.ceil(wait_seconds)))


class RateLimiter(Protocol):
    """Counts hits per key; the same key under the same rate shares one bucket."""

    async def hit(self, key: str, rate: Rate) -> Decision:
        """Spend one token of ``key``'s bucket if there is one; say when to retry if not."""
        ...

    async def hit_many(self, hits: Sequence[tuple[str, Rate]]) -> list[Decision]:
        """Spend one token of every key's bucket, all or nothing, in one atomic step.

        Returns one decision per hit, in order. When every bucket has a token, all are spent
        and every decision allows. Otherwise *nothing* is spent anywhere: each key without a
        token is denied with its own wait, and the keys that had one still read as allowed
        (they would have let this hit in). So the batch went through exactly when every
        decision allows. Keys must be distinct (``ValueError`` otherwise).
        """
        ...


_ALLOWED = Decision.allow()


def require_distinct_keys(hits: Sequence[tuple[str, Rate]]) -> None:
    """Refuse a batch that names one key twice (its two hits would need two tokens)."""
    if len({key for key, _ in hits}) != len(hits):
        raise ValueError("hit_many needs distinct keys")


@dataclass
class _Bucket:
    tokens: float
    updated: float
    full_at: float  # when the bucket will be full again if nobody hits it


def _level(bucket: _Bucket | None, rate: Rate, now: float) -> float:
    """The tokens in a bucket now, refilled since its last update (a new bucket is full)."""
    if bucket is None:
        return rate.capacity
    refilled = bucket.tokens + max(0.0, now - bucket.updated) * rate.refill_per_second
    return min(rate.capacity, refilled)


class InMemoryRateLimiter:
    """Buckets in this process's memory, for one-process deployments and tests.

    Memory stays bounded: a bucket that has refilled completely carries no information and is
    dropped; past ``max_keys`` the least recently used bucket is dropped too (which forgives
    that key: bounded memory matters more than one key's count under a flood of keys).
    """

    def __init__(
        self,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def hit(self, key: str, rate: Rate) -> Decision:
        return self.take(key, rate)

    async def hit_many(self, hits: Sequence[tuple[str, Rate]]) -> list[Decision]:
        return self.take_many(hits)

    def take(self, key: str, rate: Rate) -> Decision:
        """``hit`` without a coroutine, for callers on a hot path (the gateway)."""
        now = self._clock()
        tokens = _level(self._buckets.pop(key, None), rate, now)
        self._evict(now, room=1)
        if tokens >= 1.0:
            self._store(key, rate, tokens - 1.0, now)
            return _ALLOWED
        self._store(key, rate, tokens, now)
        return Decision.deny((1.0 - tokens) / rate.refill_per_second)

    def take_many(self, hits: Sequence[tuple[str, Rate]]) -> list[Decision]:
        """``hit_many`` without a coroutine; plain code, so atomic under asyncio."""
        require_distinct_keys(hits)
        now = self._clock()
        levels = [_level(self._buckets.pop(key, None), rate, now) for key, rate in hits]
        self._evict(now, room=len(hits))
        decisions = [
            Decision.allow()
            if tokens >= 1.0
            else Decision.deny((1.0 - tokens) / rate.refill_per_second)
            for (_, rate), tokens in zip(hits, levels, strict=True)
        ]
        spent = 1.0 if all(decision.allowed for decision in decisions) else 0.0
        for (key, rate), tokens in zip(hits, levels, strict=True):
            self._store(key, rate, tokens - spent, now)
        return decisions

    def set_level(self, key: str, rate: Rate, tokens: float) -> None:
        """Overwrite a bucket's level (a shared store said what it holds); may be negative,
        down to minus the capacity: hits counted elsewhere are paid back by waiting."""
        now = self._clock()
        self._buckets.pop(key, None)
        self._evict(now, room=1)
        self._store(key, rate, max(-rate.capacity, min(rate.capacity, tokens)), now)

    def _store(self, key: str, rate: Rate, tokens: float, now: float) -> None:
        if tokens < rate.capacity:  # a full bucket says nothing: forget it
            full_at = now + (rate.capacity - tokens) / rate.refill_per_second
            self._buckets[key] = _Bucket(tokens=tokens, updated=now, full_at=full_at)

    def _evict(self, now: float, *, room: int) -> None:
        buckets = self._buckets
        # Oldest-used first: drop those that are full again, then any beyond the bound
        # (leaving room for the ``room`` buckets about to be put back).
        while buckets:
            oldest = next(iter(buckets.values()))
            if oldest.full_at > now and len(buckets) + room <= self._max_keys:
                break
            buckets.popitem(last=False)
