import pytest

from commerce.gateway.breaker import CircuitBreaker, CircuitOpen, State
from tests.unit.gateway.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def changes() -> list[State]:
    return []


@pytest.fixture
def breaker(clock: FakeClock, changes: list[State]) -> CircuitBreaker:
    return CircuitBreaker(
        "product",
        failure_threshold=3,
        reset_seconds=10,
        clock=clock,
        on_change=lambda _, state: changes.append(state),
    )


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.failed(breaker.acquire())


def test_it_opens_after_consecutive_failures_only(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.succeeded(breaker.acquire())
    fail(breaker, 2)
    assert breaker.state is State.CLOSED

    fail(breaker, 1)

    assert breaker.state is State.OPEN


def test_while_open_calls_are_refused_with_the_remaining_cool_down(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(3.5)

    with pytest.raises(CircuitOpen) as refused:
        breaker.acquire()

    assert refused.value.retry_after_seconds == 7


def test_after_the_cool_down_one_probe_goes_and_its_success_closes(
    breaker: CircuitBreaker, clock: FakeClock, changes: list[State]
) -> None:
    fail(breaker, 3)
    clock.advance(10)

    probe = breaker.acquire()
    assert probe is True
    assert breaker.state is State.HALF_OPEN
    with pytest.raises(CircuitOpen):
        breaker.acquire()  # only one probe at a time

    breaker.succeeded(probe)

    assert breaker.state is State.CLOSED
    assert breaker.acquire() is False
    assert changes == [State.OPEN, State.HALF_OPEN, State.CLOSED]


def test_a_failed_probe_opens_again_for_a_whole_cool_down(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(10)

    breaker.failed(breaker.acquire())

    assert breaker.state is State.OPEN
    clock.advance(9)
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    clock.advance(1)
    assert breaker.acquire() is True


def test_an_abandoned_probe_lets_the_next_one_go(breaker: CircuitBreaker, clock: FakeClock) -> None:
    fail(breaker, 3)
    clock.advance(10)

    breaker.abandoned(breaker.acquire())

    assert breaker.acquire() is True
    assert breaker.state is State.HALF_OPEN


def test_after_closing_it_takes_the_full_threshold_to_open_again(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    fail(breaker, 3)
    clock.advance(10)
    breaker.succeeded(breaker.acquire())

    fail(breaker, 2)

    assert breaker.state is State.CLOSED
