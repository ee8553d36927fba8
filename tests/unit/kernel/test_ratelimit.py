"""The in-process token bucket: burst, refill, Retry-After, independent keys, bounded memory."""

from __future__ import annotations

import pytest

from commerce.kernel.ratelimit import Decision, InMemoryRateLimiter, Rate, client_key


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


async def hits(limiter: InMemoryRateLimiter, key: str, rate: Rate, count: int) -> list[bool]:
    return [(await limiter.hit(key, rate)).allowed for _ in range(count)]


def test_rate_defaults_its_burst_to_one_period() -> None:
    rate = Rate.per_minute(30)
    assert rate.capacity == 30
    assert rate.refill_per_second == pytest.approx(0.5)
    assert Rate.per_minute(30, burst=5).capacity == 5


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 1, "period_seconds": 0}])
def test_rate_refuses_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Rate(**kwargs)
    with pytest.raises(ValueError):
        Rate(limit=1, burst=0)


async def test_allows_the_burst_then_refuses(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(6, burst=3)
    assert await hits(limiter, "k", rate, 4) == [True, True, True, False]


async def test_retry_after_is_the_time_to_the_next_token_rounded_up(
    clock: FakeMonotonic,
) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(6, burst=1)  # one token every 10 s
    assert (await limiter.hit("k", rate)).allowed
    clock.advance(2.5)
    assert await limiter.hit("k", rate) == Decision(allowed=False, retry_after_seconds=8)


async def test_a_refused_hit_spends_nothing_and_refill_lets_the_caller_in(
    clock: FakeMonotonic,
) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(6, burst=1)
    assert await hits(limiter, "k", rate, 5) == [True, False, False, False, False]
    clock.advance(10)
    assert await hits(limiter, "k", rate, 2) == [True, False]


async def test_keys_have_separate_buckets(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(1, burst=1)
    assert await hits(limiter, "a", rate, 2) == [True, False]
    assert await hits(limiter, "b", rate, 1) == [True]


async def test_full_buckets_are_forgotten(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(60, burst=2)
    for key in ("a", "b", "c"):
        await limiter.hit(key, rate)
    assert len(limiter) == 3
    clock.advance(1.0)  # one token back: every bucket is full again
    await limiter.hit("d", rate)
    assert len(limiter) == 1


async def test_memory_is_bounded_by_max_keys(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(max_keys=3, clock=clock)
    rate = Rate.per_minute(1, burst=1)
    for key in ("a", "b", "c", "d", "e"):
        await limiter.hit(key, rate)
    assert len(limiter) == 3
    # The least recently used keys went first; the newest are still counted.
    assert not (await limiter.hit("e", rate)).allowed
    assert (await limiter.hit("a", rate)).allowed


async def test_recent_use_keeps_a_key_from_eviction(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(max_keys=2, clock=clock)
    rate = Rate.per_minute(1, burst=2)
    await limiter.hit("a", rate)
    await limiter.hit("b", rate)
    await limiter.hit("a", rate)  # "a" is now the most recently used, and empty
    await limiter.hit("c", rate)  # evicts "b"
    assert not (await limiter.hit("a", rate)).allowed


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.10", "192.0.2.10"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:0001:0002:0:0:0:ffff", "2001:db8:1:2::/64"),
        ("::1", "::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.10", "192.0.2.10"),
        ("unknown", "unknown"),
        ("", ""),
        ("2001:db8::zz", "2001:db8::zz"),
        ("192.0.2.300", "192.0.2.300"),
    ],
)
def test_client_key_collapses_ipv6_to_its_64_and_keeps_the_rest(address: str, key: str) -> None:
    assert client_key(address) == key


def test_addresses_of_one_ipv6_64_share_a_key_and_neighbours_do_not() -> None:
    same = {client_key(f"2001:db8:0:7::{suffix:x}") for suffix in (1, 2, 0xFFFF, 0xDEAD)}
    assert len(same) == 1
    assert client_key("2001:db8:0:7::1") != client_key("2001:db8:0:8::1")
    assert client_key("192.0.2.1") != client_key("192.0.2.2")


async def test_hit_many_spends_a_token_of_every_key_when_all_have_one(
    clock: FakeMonotonic,
) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    one, two = Rate.per_minute(6, burst=1), Rate.per_minute(6, burst=2)
    assert await limiter.hit_many([("a", one), ("b", two)]) == [Decision.allow()] * 2
    assert await hits(limiter, "a", one, 1) == [False]
    assert await hits(limiter, "b", two, 2) == [True, False]


async def test_hit_many_is_all_or_nothing(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    rate = Rate.per_minute(6, burst=1)  # one token every 10 s
    assert (await limiter.hit("full", rate)).allowed
    clock.advance(4)
    decisions = await limiter.hit_many([("fresh", rate), ("full", rate)])
    # The key with a token reads as allowed, the other says when; the batch spent nothing.
    assert decisions == [Decision.allow(), Decision(allowed=False, retry_after_seconds=6)]
    assert (await limiter.hit("fresh", rate)).allowed


async def test_hit_many_reports_every_key_without_a_token(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    slow, fast = Rate.per_minute(1, burst=1), Rate.per_minute(30, burst=1)
    await limiter.hit_many([("a", slow), ("b", fast)])
    decisions = await limiter.hit_many([("a", slow), ("b", fast)])
    assert decisions == [Decision.deny(60), Decision.deny(2)]


async def test_hit_many_refuses_a_key_named_twice(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(clock=clock)
    with pytest.raises(ValueError):
        await limiter.hit_many([("a", Rate.per_minute(5)), ("a", Rate.per_minute(5))])
    assert await limiter.hit_many([]) == []


async def test_hit_many_keeps_memory_within_max_keys(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(max_keys=3, clock=clock)
    rate = Rate.per_minute(1, burst=1)
    await limiter.hit_many([("a", rate), ("b", rate)])
    await limiter.hit_many([("c", rate), ("d", rate)])
    assert len(limiter) == 3
    assert not (await limiter.hit("d", rate)).allowed
