import logging

import pytest
import redis.exceptions

from commerce.gateway.limits import ClientRateLimit
from commerce.kernel.ratelimit import Decision, InMemoryRateLimiter, Rate

RATE = Rate(limit=1, period_seconds=60)


class FailingLimiter:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def hit(self, key: str, rate: Rate) -> Decision:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ConnectionError("Connection refused"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        redis.exceptions.ResponseError("NOSCRIPT"),
        ConnectionRefusedError(111, "Connection refused"),
        OSError("network is unreachable"),
        TimeoutError(),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_a_store_failure_lets_the_request_in_and_is_logged(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    limit = ClientRateLimit(FailingLimiter(error), RATE)

    with caplog.at_level(logging.WARNING, logger="commerce.gateway.limits"):
        decision = await limit.check("203.0.113.7")

    assert decision.allowed
    (record,) = [r for r in caplog.records if r.name == "commerce.gateway.limits"]
    assert type(error).__name__ in record.getMessage()


@pytest.mark.parametrize(
    "error", [KeyError("bucket"), TypeError("bad arguments"), ValueError("bad rate")]
)
async def test_a_bug_in_the_limiter_is_not_taken_for_an_outage(error: Exception) -> None:
    limit = ClientRateLimit(FailingLimiter(error), RATE)

    with pytest.raises(type(error)):
        await limit.check("203.0.113.7")


LOW = Rate(limit=2, period_seconds=3600, burst=2)


async def statuses(limit: ClientRateLimit, *addresses: str) -> list[bool]:
    return [(await limit.check(address)).allowed for address in addresses]


async def test_addresses_in_one_ipv6_slash_64_share_a_bucket() -> None:
    limit = ClientRateLimit(InMemoryRateLimiter(), LOW)

    allowed = await statuses(limit, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe")

    assert allowed == [True, True]
    assert await statuses(limit, "2001:db8:1:2:1234::9") == [False]  # the /64 is spent
    assert await statuses(limit, "2001:db8:1:3::1") == [True]  # the next /64 is not


async def test_ipv4_clients_keep_a_bucket_each_also_when_ipv4_mapped() -> None:
    limit = ClientRateLimit(InMemoryRateLimiter(), LOW)

    assert await statuses(limit, "192.0.2.1", "::ffff:192.0.2.1", "192.0.2.1") == [
        True,
        True,
        False,
    ]
    assert await statuses(limit, "192.0.2.2", "::ffff:192.0.2.3") == [True, True]
