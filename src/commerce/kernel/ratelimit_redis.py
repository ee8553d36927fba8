"""The token bucket in Redis, shared by every replica of a service.

One Lua script reads, refills, spends and writes the buckets of a hit atomically, with
Redis's own clock (``TIME``), so replicas with skewed clocks still agree. It takes several
buckets at once (``hit_many``, all or nothing) so a caller with two limits pays one round
trip; ``hit`` is the one-bucket case. Each bucket key expires once it would be full again,
so idle keys cost no memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from commerce.kernel.ratelimit import Decision, Rate, require_distinct_keys

DEFAULT_PREFIX = "ratelimit:"

# The level of bucket ``key`` now: its stored tokens refilled since its timestamp (by Redis's
# clock, ``now``), or full when it has none. Shared by both scripts below.
_REFILLED_LEVEL = """
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil or ts == nil then
    tokens = capacity
  else
    tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill)
  end
"""
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""

# KEYS: the buckets; ARGV: capacity and refill per second of each bucket, in KEYS order.
# Returns {allowed (0|1), seconds to wait as a string} per bucket (Lua numbers would be
# truncated). Spends one token of every bucket if each has one, else writes nothing (a
# refused hit spends nothing: the stored state refills on its own).
_BUCKETS_SCRIPT = (
    _NOW
    + """
local levels = {}
local reply = {}
local all_allowed = true
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i - 1])
  local refill = tonumber(ARGV[2 * i])
"""
    + _REFILLED_LEVEL
    + """
  levels[i] = tokens
  if tokens >= 1 then
    reply[2 * i - 1] = 1
    reply[2 * i] = '0'
  else
    all_allowed = false
    reply[2 * i - 1] = 0
    reply[2 * i] = tostring((1 - tokens) / refill)
  end
end
if all_allowed then
  for i, key in ipairs(KEYS) do
    local capacity = tonumber(ARGV[2 * i - 1])
    local refill = tonumber(ARGV[2 * i])
    local tokens = levels[i] - 1
    redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
    redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / refill * 1000) + 1000)
  end
end
return reply
"""
)

# KEYS: buckets of one rate; ARGV: capacity, refill per second, then the tokens to spend
# from each bucket. Spends them whatever the level (which may go below zero, to minus the
# capacity: hits already let in elsewhere are paid back by waiting), stores, expires once
# full again; returns the levels as strings.
_SPEND_SCRIPT = (
    _NOW
    + """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local levels = {}
for i, key in ipairs(KEYS) do
"""
    + _REFILLED_LEVEL
    + """
  tokens = math.max(-capacity, tokens - tonumber(ARGV[2 + i]))
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / refill * 1000) + 1000)
  levels[i] = tostring(tokens)
end
return levels
"""
)


class RedisRateLimiter:
    """Token buckets under ``prefix`` in Redis; safe across processes and hosts.

    The keys of one ``hit_many`` go to one script, so on a Redis Cluster they would need one
    hash slot (a ``{tag}`` in the prefix); the services run a single Redis.
    """

    def __init__(self, redis: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_BUCKETS_SCRIPT)
        self._spend_script = redis.register_script(_SPEND_SCRIPT)

    async def hit(self, key: str, rate: Rate) -> Decision:
        return (await self.hit_many([(key, rate)]))[0]

    async def hit_many(self, hits: Sequence[tuple[str, Rate]]) -> list[Decision]:
        require_distinct_keys(hits)
        if not hits:
            return []
        reply: Any = await self._script(
            keys=[self._prefix + key for key, _ in hits],
            args=[
                value
                for _, rate in hits
                for value in (repr(rate.capacity), repr(rate.refill_per_second))
            ],
        )
        return [
            Decision.allow() if int(allowed) else Decision.deny(float(wait))
            for allowed, wait in zip(reply[::2], reply[1::2], strict=True)
        ]

    async def spend(self, spent: Sequence[tuple[str, int]], rate: Rate) -> list[float]:
        """Take ``n`` tokens from each key's bucket unconditionally (hits already let in by
        a replica deciding locally); the levels afterwards, in order."""
        if not spent:
            return []
        levels: Any = await self._spend_script(
            keys=[self._prefix + key for key, _ in spent],
            args=[repr(rate.capacity), repr(rate.refill_per_second), *(n for _, n in spent)],
        )
        return [float(level) for level in levels]
