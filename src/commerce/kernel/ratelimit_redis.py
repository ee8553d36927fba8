"""The token bucket in Redis, shared by every replica of a service.

One Lua script reads, refills, spends and writes a bucket atomically, with Redis's own clock
(``TIME``), so replicas with skewed clocks still agree. Each bucket key expires once it would
be full again, so idle keys cost no memory.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from commerce.kernel.ratelimit import Decision, Rate

DEFAULT_PREFIX = "ratelimit:"

# KEYS[1] bucket; ARGV: capacity, refill per second.
# Returns {allowed (0|1), seconds to wait as a string} (Lua numbers would be truncated).
_BUCKET_SCRIPT = """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill)
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / refill
end
if tokens < capacity then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / refill * 1000) + 1000)
else
  redis.call('DEL', KEYS[1])
end
return {allowed, tostring(wait)}
"""


class RedisRateLimiter:
    """Token buckets under ``prefix`` in Redis; safe across processes and hosts."""

    def __init__(self, redis: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)

    async def hit(self, key: str, rate: Rate) -> Decision:
        reply: Any = await self._script(
            keys=[self._prefix + key],
            args=[repr(rate.capacity), repr(rate.refill_per_second)],
        )
        allowed, wait = int(reply[0]), float(reply[1])
        return Decision.allow() if allowed else Decision.deny(wait)
