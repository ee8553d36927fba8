"""What only the Redis store has to get right: key prefix, expiry, nothing resurrected."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from commerce.auth.adapters.outbound.redis_token_store import RedisRefreshTokenStore
from commerce.auth.application.ports import Rotation
from commerce.auth.domain.tokens import TokenFamily, UserClaims, hash_token
from tests.integration.auth.conftest import drop_keys

pytestmark = pytest.mark.integration

USER = UserClaims(user_id="u1", email="u1@example.com", roles=("USER",))


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await drop_keys(client, redis_prefix)
    await client.aclose()


async def test_keys_are_prefixed_and_expire_with_the_tokens(
    redis: Redis, redis_prefix: str
) -> None:
    store = RedisRefreshTokenStore(redis, prefix=redis_prefix)
    at = datetime.now(UTC)
    family, first = TokenFamily.start(
        str(uuid.uuid4()), USER, hash_token("a"), at, timedelta(seconds=100)
    )
    await store.add_family(family, first)
    keys = sorted([k.decode() async for k in redis.scan_iter(match=redis_prefix + "*")])
    assert keys == sorted(
        [f"{redis_prefix}fam:{family.id}", f"{redis_prefix}rt:{first.token_hash}"]
    )
    for key in keys:
        assert 90_000 < await redis.pttl(key) <= 100_000

    # A rotation gives the successor its own expiry and stretches the family's to match.
    later = at + timedelta(seconds=50)
    successor = family.rotate(first, hash_token("b"), later, timedelta(seconds=100))
    assert await store.rotate(first, successor) is Rotation.ROTATED
    assert 140_000 < await redis.pttl(f"{redis_prefix}fam:{family.id}") <= 150_000
    assert 140_000 < await redis.pttl(f"{redis_prefix}rt:{successor.token_hash}") <= 150_000
    # The used token is remembered until its own expiry, to catch its reuse.
    assert 0 < await redis.pttl(f"{redis_prefix}rt:{first.token_hash}") <= 100_000


async def test_revoking_a_forgotten_family_creates_nothing(redis: Redis, redis_prefix: str) -> None:
    store = RedisRefreshTokenStore(redis, prefix=redis_prefix)
    family_id = str(uuid.uuid4())
    await store.revoke_family(family_id, datetime.now(UTC))
    assert await redis.exists(f"{redis_prefix}fam:{family_id}") == 0


async def test_a_token_whose_family_is_gone_is_not_found(redis: Redis, redis_prefix: str) -> None:
    store = RedisRefreshTokenStore(redis, prefix=redis_prefix)
    family, first = TokenFamily.start(
        str(uuid.uuid4()), USER, hash_token("c"), datetime.now(UTC), timedelta(days=1)
    )
    await store.add_family(family, first)
    await redis.delete(f"{redis_prefix}fam:{family.id}")
    assert await store.find(first.token_hash) is None


async def test_only_the_hash_is_stored(redis: Redis, redis_prefix: str) -> None:
    store = RedisRefreshTokenStore(redis, prefix=redis_prefix)
    secret = uuid.uuid4().hex
    family, first = TokenFamily.start(
        str(uuid.uuid4()), USER, hash_token(secret), datetime.now(UTC), timedelta(1)
    )
    await store.add_family(family, first)
    async for key in redis.scan_iter(match=redis_prefix + "*"):
        assert secret.encode() not in key
        assert all(secret.encode() not in value for value in (await redis.hgetall(key)).values())


async def test_find_is_one_round_trip(redis_url: str, redis: Redis, redis_prefix: str) -> None:
    class CountingRedis(Redis):
        commands: list[str] = []

        async def execute_command(self, *args: Any, **options: Any) -> Any:
            self.commands.append(str(args[0]))
            return await super().execute_command(*args, **options)

    client = CountingRedis.from_url(redis_url)
    try:
        store = RedisRefreshTokenStore(client, prefix=redis_prefix)
        family, first = TokenFamily.start(
            str(uuid.uuid4()), USER, hash_token("d"), datetime.now(UTC), timedelta(1)
        )
        await store.add_family(family, first)
        await store.find(hash_token("warm-up"))  # loads a script, if find uses one
        client.commands.clear()
        found = await store.find(first.token_hash)
        assert len(client.commands) == 1
        assert found is not None and found.family.claims == USER
        client.commands.clear()
        assert await store.find(hash_token("unknown")) is None
        assert len(client.commands) == 1
    finally:
        await client.aclose()
