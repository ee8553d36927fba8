import logging

import pytest
import redis.exceptions

from commerce.gateway.limits import ClientRateLimit
from commerce.kernel.ratelimit import Decision, Rate

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
