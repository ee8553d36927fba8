from __future__ import annotations

import pytest

from commerce.gateway.breaker import CircuitBreaker, CircuitOpen, State
from commerce.gateway.limits import RequestBody
from commerce.gateway.resilience import ResilientCaller, RetryPolicy
from commerce.gateway.upstream import BytesBody, UpstreamFailure, UpstreamReply
from tests.unit.gateway.fakes import FakeClock

REFUSED = UpstreamFailure("product", 503, "connect")
READ_TIMEOUT = UpstreamFailure("product", 504, "timeout")


class TrackedBody(BytesBody):
    """A body that remembers being given back (its connection returned to the pool)."""

    def __init__(self) -> None:
        super().__init__(b"{}")
        self.released = False

    def release(self) -> None:
        self.released = True


def reply(status: int) -> UpstreamReply:
    return UpstreamReply(status, [], TrackedBody())


class ScriptedUpstream:
    """Answers each send with the next scripted outcome (the last one repeats)."""

    def __init__(self, *outcomes: UpstreamReply | UpstreamFailure) -> None:
        self.outcomes = list(outcomes)
        self.sends: list[str] = []

    async def send(self, upstream, method, target, headers, body) -> UpstreamReply:
        self.sends.append(method)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, UpstreamFailure):
            raise outcome
        return outcome


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("product", failure_threshold=5, reset_seconds=10, clock=clock)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def caller(
    upstream: ScriptedUpstream, breaker: CircuitBreaker, sleeps: Sleeps, attempts: int = 3
) -> ResilientCaller:
    policy = RetryPolicy(attempts=attempts, backoff_seconds=0.1, backoff_max_seconds=0.3)
    return ResilientCaller(upstream, {"product": breaker}, policy, sleep=sleeps)


async def call(
    c: ResilientCaller, method: str = "GET", body: RequestBody | None = None
) -> UpstreamReply:
    return await c.call("product", method, b"/v1/products/p", [], body)


def started_body() -> RequestBody:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    body = RequestBody(receive, 1024)
    body.started = True  # the HTTP client has read some of it already
    return body


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
async def test_idempotent_requests_are_retried_after_a_refused_connection(
    breaker: CircuitBreaker, sleeps: Sleeps, method: str
) -> None:
    upstream = ScriptedUpstream(REFUSED, REFUSED, reply(200))

    result = await call(caller(upstream, breaker, sleeps), method)

    assert result.status == 200
    assert len(upstream.sends) == 3
    assert len(sleeps.waits) == 2
    assert 0.1 <= sleeps.waits[0] <= 0.2
    assert 0.2 <= sleeps.waits[1] <= 0.3


async def test_idempotent_requests_are_retried_on_502_and_503_and_the_last_answer_kept(
    breaker: CircuitBreaker, sleeps: Sleeps
) -> None:
    first, second, last = reply(502), reply(503), reply(503)
    upstream = ScriptedUpstream(first, second, last)

    result = await call(caller(upstream, breaker, sleeps))

    assert result is last
    assert len(upstream.sends) == 3
    # The refused answers gave their connections back; the one passed on is still open.
    assert [r.body.released for r in (first, second, last)] == [True, True, False]  # type: ignore[attr-defined]


@pytest.mark.parametrize("first", [REFUSED, reply(503)], ids=["refused", "503"])
async def test_a_request_whose_body_was_read_is_not_sent_again(
    breaker: CircuitBreaker, sleeps: Sleeps, first: UpstreamReply | UpstreamFailure
) -> None:
    upstream = ScriptedUpstream(first, reply(200))

    if isinstance(first, UpstreamFailure):
        with pytest.raises(UpstreamFailure):
            await call(caller(upstream, breaker, sleeps), "PUT", started_body())
    else:
        assert (await call(caller(upstream, breaker, sleeps), "PUT", started_body())) is first
    assert upstream.sends == ["PUT"]


@pytest.mark.parametrize("status", [200, 404, 500, 504])
async def test_other_answers_are_not_retried(
    breaker: CircuitBreaker, sleeps: Sleeps, status: int
) -> None:
    upstream = ScriptedUpstream(reply(status), reply(200))

    assert (await call(caller(upstream, breaker, sleeps))).status == status
    assert len(upstream.sends) == 1


async def test_a_read_timeout_is_not_retried_even_for_get(
    breaker: CircuitBreaker, sleeps: Sleeps
) -> None:
    upstream = ScriptedUpstream(READ_TIMEOUT, reply(200))

    with pytest.raises(UpstreamFailure):
        await call(caller(upstream, breaker, sleeps))
    assert len(upstream.sends) == 1


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("first", [REFUSED, reply(503)], ids=["refused", "503"])
async def test_non_idempotent_requests_are_never_retried(
    breaker: CircuitBreaker, sleeps: Sleeps, method: str, first: UpstreamReply | UpstreamFailure
) -> None:
    upstream = ScriptedUpstream(first, reply(201))

    if isinstance(first, UpstreamFailure):
        with pytest.raises(UpstreamFailure):
            await call(caller(upstream, breaker, sleeps), method)
    else:
        assert (await call(caller(upstream, breaker, sleeps), method)) is first
    assert upstream.sends == [method]
    assert sleeps.waits == []


async def test_once_open_the_breaker_refuses_without_sending(
    breaker: CircuitBreaker, sleeps: Sleeps
) -> None:
    upstream = ScriptedUpstream(REFUSED)
    c = caller(upstream, breaker, sleeps, attempts=1)
    for _ in range(5):
        with pytest.raises(UpstreamFailure):
            await call(c)
    assert breaker.state is State.OPEN

    with pytest.raises(CircuitOpen):
        await call(c)
    assert len(upstream.sends) == 5


async def test_503_answers_count_as_failures_for_the_breaker(
    breaker: CircuitBreaker, sleeps: Sleeps
) -> None:
    upstream = ScriptedUpstream(reply(503))
    c = caller(upstream, breaker, sleeps, attempts=1)

    for _ in range(5):
        assert (await call(c, "POST")).status == 503

    assert breaker.state is State.OPEN


async def test_retries_stop_when_the_breaker_opens(breaker: CircuitBreaker, sleeps: Sleeps) -> None:
    upstream = ScriptedUpstream(REFUSED)
    c = caller(upstream, breaker, sleeps, attempts=10)

    with pytest.raises(CircuitOpen):
        await call(c)

    assert len(upstream.sends) == 5


async def test_the_breaker_recovers_through_a_probe(
    breaker: CircuitBreaker, sleeps: Sleeps, clock: FakeClock
) -> None:
    upstream = ScriptedUpstream(REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, reply(200))
    c = caller(upstream, breaker, sleeps, attempts=1)
    for _ in range(5):
        with pytest.raises(UpstreamFailure):
            await call(c)

    clock.advance(10)

    assert (await call(c)).status == 200
    assert breaker.state is State.CLOSED


async def test_the_backoff_doubles_up_to_its_cap_with_jitter(
    breaker: CircuitBreaker, sleeps: Sleeps
) -> None:
    upstream = ScriptedUpstream(REFUSED, REFUSED, REFUSED, REFUSED, reply(200))

    assert (await call(caller(upstream, breaker, sleeps, attempts=5))).status == 200

    bases = [0.1, 0.2, 0.3, 0.3]  # 0.1 * 2^n, capped at 0.3
    assert len(sleeps.waits) == 4
    for base, wait in zip(bases, sleeps.waits, strict=True):
        assert base <= wait <= base + 0.1


@pytest.mark.parametrize("status", [502, 503])
async def test_out_of_tries_the_last_answer_is_kept_without_a_last_wait(
    breaker: CircuitBreaker, sleeps: Sleeps, status: int
) -> None:
    upstream = ScriptedUpstream(reply(status))

    assert (await call(caller(upstream, breaker, sleeps, attempts=2))).status == status
    assert len(upstream.sends) == 2
    assert len(sleeps.waits) == 1


async def test_each_call_has_its_own_retry_budget(breaker: CircuitBreaker, sleeps: Sleeps) -> None:
    # The strategies are shared by every call; the count of tries is per call.
    upstream = ScriptedUpstream(REFUSED, REFUSED, reply(200), REFUSED, reply(200))
    c = caller(upstream, breaker, sleeps)

    first = await call(c)
    second = await call(c)

    assert (first.status, second.status) == (200, 200)
    assert len(upstream.sends) == 5
