"""The Redis token bucket on a real Redis: burst, refill, prefix, expiry, atomicity."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from commerce.kernel.ratelimit import Rate
from commerce.kernel.ratelimit_redis import RedisRateLimiter

pytestmark = pytest.mark.integration

SLOW = Rate(limit=1, period_seconds=3600, burst=3)  # no refill within a test


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=redis_prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_allows_the_burst_then_refuses_with_retry_after(
    redis: Redis, redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, prefix=redis_prefix)
    decisions = [await limiter.hit("k", SLOW) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 3500 < decisions[-1].retry_after_seconds <= 3600


async def test_keys_live_under_the_prefix_and_expire(redis: Redis, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis, prefix=redis_prefix + "rl:")
    await limiter.hit("login:a", Rate(limit=60, period_seconds=60, burst=5))
    assert await redis.exists(redis_prefix + "rl:login:a") == 1
    # One token spent at one per second: full again (and gone) within about two seconds.
    assert 0 < await redis.pttl(redis_prefix + "rl:login:a") <= 2000


async def test_refill_lets_the_caller_in_again(redis: Redis, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis, prefix=redis_prefix)
    fast = Rate(limit=20, period_seconds=1, burst=1)  # a token every 50 ms
    assert (await limiter.hit("k", fast)).allowed
    assert not (await limiter.hit("k", fast)).allowed
    await asyncio.sleep(0.2)
    assert (await limiter.hit("k", fast)).allowed


async def test_keys_and_prefixes_are_independent(redis: Redis, redis_prefix: str) -> None:
    one = RedisRateLimiter(redis, prefix=redis_prefix + "one:")
    two = RedisRateLimiter(redis, prefix=redis_prefix + "two:")
    rate = Rate(limit=1, period_seconds=3600, burst=1)
    assert (await one.hit("k", rate)).allowed
    assert not (await one.hit("k", rate)).allowed
    assert (await one.hit("other", rate)).allowed
    assert (await two.hit("k", rate)).allowed


async def test_concurrent_hits_from_many_connections_spend_exactly_the_burst(
    redis_url: str, redis: Redis, redis_prefix: str
) -> None:
    # Separate clients stand for separate replicas racing on one bucket.
    clients = [Redis.from_url(redis_url) for _ in range(4)]
    try:
        limiters = [RedisRateLimiter(client, prefix=redis_prefix) for client in clients]
        rate = Rate(limit=1, period_seconds=3600, burst=10)
        decisions = await asyncio.gather(*(limiters[i % 4].hit("shared", rate) for i in range(40)))
    finally:
        for client in clients:
            await client.aclose()
    assert sum(d.allowed for d in decisions) == 10


async def test_hit_many_spends_every_bucket_or_none(redis: Redis, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis, prefix=redis_prefix)
    one = Rate(limit=1, period_seconds=3600, burst=1)
    assert [d.allowed for d in await limiter.hit_many([("a", one), ("b", SLOW)])] == [True, True]
    # "a" is empty now: the batch is refused and "b" keeps its two tokens.
    refused = await limiter.hit_many([("b", SLOW), ("a", one)])
    assert refused[0].allowed and not refused[1].allowed
    assert 3500 < refused[1].retry_after_seconds <= 3600
    assert [(await limiter.hit("b", SLOW)).allowed for _ in range(3)] == [True, True, False]


async def test_hit_many_is_one_round_trip_and_shares_buckets_with_hit(
    redis_url: str, redis_prefix: str
) -> None:
    class CountingRedis(Redis):
        commands: list[str] = []

        async def execute_command(self, *args: Any, **options: Any) -> Any:
            self.commands.append(str(args[0]))
            return await super().execute_command(*args, **options)

    client = CountingRedis.from_url(redis_url)
    try:
        limiter = RedisRateLimiter(client, prefix=redis_prefix)
        await limiter.hit("warm-up", SLOW)  # loads the script
        client.commands.clear()
        decisions = await limiter.hit_many([("x", SLOW), ("y", SLOW), ("z", SLOW)])
        assert client.commands == ["EVALSHA"]
        assert all(d.allowed for d in decisions)
        assert [(await limiter.hit("x", SLOW)).allowed for _ in range(3)] == [True, True, False]
    finally:
        await client.aclose()


async def test_concurrent_batches_spend_exactly_the_smallest_burst(
    redis_url: str, redis: Redis, redis_prefix: str
) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(4)]
    try:
        limiters = [RedisRateLimiter(client, prefix=redis_prefix) for client in clients]
        small = Rate(limit=1, period_seconds=3600, burst=5)
        large = Rate(limit=1, period_seconds=3600, burst=50)
        batches = await asyncio.gather(
            *(limiters[i % 4].hit_many([("big", large), ("small", small)]) for i in range(20))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sum(all(d.allowed for d in batch) for batch in batches) == 5
    # Refused batches spent nothing from the big bucket: 45 of its 50 tokens are left.
    limiter = RedisRateLimiter(redis, prefix=redis_prefix)
    assert sum([(await limiter.hit("big", large)).allowed for _ in range(46)]) == 45
