"""The request rate limit shared by gateway replicas, off the request path (docs/adr/0037).

Each replica decides in its own memory (:class:`commerce.gateway.limits.ClientRateLimit`).
Every ``interval`` this module sends what the replica let through since the last round to
Redis, where one Lua script per round spends those tokens from the shared bucket of each
client and returns what the bucket holds now; the local bucket is set to that level, less
what was let through while the answer travelled. So a client's hits at every replica are
counted everywhere within one interval, and a request never waits for Redis. If Redis is
unavailable, each replica goes on limiting on its own (the limit per replica still holds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from commerce.gateway.limits import ClientRateLimit
from commerce.kernel.background import stop_if_cancelled
from commerce.kernel.ratelimit_redis import RedisRateLimiter

log = logging.getLogger("commerce.gateway.limits")

# What "the store is unavailable" looks like (asyncio's TimeoutError is the builtin since
# 3.11, and ConnectionError is an OSError). Anything else is a bug and is logged as one.
STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, TimeoutError)


class SharedBuckets:
    """Reconciles a :class:`ClientRateLimit` with the buckets under ``prefix`` in Redis."""

    def __init__(
        self,
        limit: ClientRateLimit,
        redis: Redis,
        *,
        prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets = RedisRateLimiter(redis, prefix=prefix)
        # Clients seen lately, kept in the rounds until their bucket would be full again:
        # so their hits at other replicas reach this one too.
        self._recent: dict[str, float] = {}
        self._failing = False

    @property
    def _memory_seconds(self) -> float:
        rate = self._limit.rate
        return max(1.0, rate.capacity / rate.refill_per_second)

    async def reconcile(self) -> None:
        """One round: spend what was let in here, read back the shared levels."""
        limit = self._limit
        sent, limit.pending = limit.pending, {}
        now = self._clock()
        for key in sent:
            self._recent[key] = now
        forget = now - self._memory_seconds
        for key in [key for key, seen in self._recent.items() if seen < forget]:
            del self._recent[key]
        if not self._recent:
            return
        keys = list(self._recent)
        rate = limit.rate
        try:
            levels = await self._buckets.spend([(key, sent.get(key, 0)) for key in keys], rate)
        except BaseException:
            # Not spent in Redis: count those hits again in the next round.
            for key, hits in sent.items():
                limit.pending[key] = limit.pending.get(key, 0) + hits
            raise
        for key, level in zip(keys, levels, strict=True):
            in_flight = limit.pending.get(key, 0)  # let in while the round trip lasted
            limit.buckets.set_level(key, rate, level - in_flight)

    async def reconcile_or_limit_alone(self) -> None:
        """A round for :class:`~commerce.kernel.background.PeriodicTask`: when Redis is
        unavailable, say so once per outage and go on limiting per replica."""
        try:
            await self.reconcile()
        except STORE_ERRORS as error:
            stop_if_cancelled(error)
            if not self._failing:
                log.warning(
                    "rate limit store unavailable, limiting per replica: %s: %s",
                    type(error).__name__,
                    error,
                )
            self._failing = True
            return
        if self._failing:
            log.warning("rate limit store reachable again, limits shared")
            self._failing = False
