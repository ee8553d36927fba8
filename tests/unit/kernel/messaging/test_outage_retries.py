"""A dependency outage is waited out, never dead-lettered; real errors still end in the DLQ."""

from __future__ import annotations

import pytest
import redis.exceptions
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from commerce.contracts import EventEnvelope, OrderCancelled
from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.processing import (
    IncomingMessage,
    MessageProcessor,
    Outcome,
    PermanentError,
    RetryPolicy,
)
from commerce.kernel.messaging.settings import MessagingSettings
from commerce.kernel.outages import is_dependency_outage, outage_types

GROUP = "outage-test"
TOPIC = "commerce.order.events"


def database_down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))


def message(offset: int = 7) -> IncomingMessage:
    envelope = EventEnvelope.wrap(OrderCancelled(order_id="o1"), "order")
    return IncomingMessage(TOPIC, 0, offset, b"o1", envelope.to_json())


class Time:
    """A clock that only the fake sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.stop_after: int | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def stopping(self) -> bool:
        return self.stop_after is not None and len(self.sleeps) >= self.stop_after


class Handler:
    """Raises the given errors in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.applied = 0

    async def __call__(self, _: EventEnvelope) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.applied += 1


def worker(handler: Handler, dlq: InMemoryPublisher, time: Time) -> MessageProcessor:
    policy = RetryPolicy(
        max_attempts=3, backoff_seconds=0.2, max_backoff_seconds=1.0, outage_retry_seconds=5.0
    )
    return MessageProcessor(
        handler,
        dlq,
        group_id=GROUP,
        policy=policy,
        sleep=time.sleep,
        clock=time.clock,
        stopping=time.stopping,
    )


def retries(reason: str) -> float:
    labels = {"group": GROUP, "topic": TOPIC, "reason": reason}
    return REGISTRY.get_sample_value("commerce_consumer_retries_total", labels) or 0.0


async def test_an_outage_shorter_than_the_in_place_budget_is_retried_past_max_attempts() -> None:
    before = retries("outage")
    handler, dlq, time = Handler(*[database_down() for _ in range(6)]), InMemoryPublisher(), Time()
    assert await worker(handler, dlq, time).process(message()) is Outcome.HANDLED
    assert (handler.calls, handler.applied) == (7, 1)  # far more than max_attempts=3
    assert time.sleeps == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]  # doubling, capped
    assert dlq.messages == []
    assert retries("outage") == before + 6


async def test_a_longer_outage_defers_the_message_and_its_backoff_resumes_after_the_poll() -> None:
    handler = Handler(*[database_down() for _ in range(12)])
    dlq, time = InMemoryPublisher(), Time()
    processor = worker(handler, dlq, time)
    outcomes = [await processor.process(message())]
    while outcomes[-1] is Outcome.DEFERRED:  # what the consumer does after seeking back
        outcomes.append(await processor.process(message()))
    assert outcomes[-1] is Outcome.HANDLED
    assert Outcome.DEFERRED in outcomes
    assert handler.applied == 1
    assert dlq.messages == []
    # No restart from 0.2 s after a deferral: the streak of this message goes on.
    assert time.sleeps == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]


async def test_a_deferred_streak_belongs_to_its_offset() -> None:
    handler = Handler(*[database_down() for _ in range(8)])
    dlq, time = InMemoryPublisher(), Time()
    processor = worker(handler, dlq, time)
    assert await processor.process(message(offset=7)) is Outcome.DEFERRED
    time.sleeps.clear()
    assert await processor.process(message(offset=8)) is Outcome.HANDLED
    assert time.sleeps[0] == 0.2  # another message starts its own backoff


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad amount"),
        RuntimeError("bug"),
        KeyError("missing"),
    ],
)
async def test_other_errors_still_end_in_the_dlq_after_max_attempts(error: Exception) -> None:
    before = retries("error")
    handler, dlq, time = Handler(*[error] * 10), InMemoryPublisher(), Time()
    assert await worker(handler, dlq, time).process(message()) is Outcome.DEAD_LETTERED
    assert handler.calls == 3
    (parked,) = dlq.messages
    assert parked.headers["dlq.error.type"] == type(error).__name__
    assert parked.headers["dlq.attempts"] == "3"
    assert retries("error") == before + 2


async def test_outage_failures_do_not_count_towards_max_attempts() -> None:
    errors = [database_down(), ValueError("x"), database_down(), ValueError("y"), database_down()]
    handler, dlq, time = Handler(*errors), InMemoryPublisher(), Time()
    assert await worker(handler, dlq, time).process(message()) is Outcome.HANDLED
    assert dlq.messages == []


async def test_a_permanent_error_is_dead_lettered_even_when_caused_by_an_outage() -> None:
    try:
        try:
            raise database_down()
        except OperationalError as cause:
            raise PermanentError("gave up") from cause
    except PermanentError as error:
        permanent = error
    handler, dlq, time = Handler(permanent), InMemoryPublisher(), Time()
    assert await worker(handler, dlq, time).process(message()) is Outcome.DEAD_LETTERED
    assert handler.calls == 1


async def test_stopping_defers_instead_of_burning_attempts() -> None:
    handler, dlq, time = Handler(*[RuntimeError("flaky")] * 10), InMemoryPublisher(), Time()
    time.stop_after = 1  # the consumer is asked to stop during the first backoff
    assert await worker(handler, dlq, time).process(message()) is Outcome.DEFERRED
    assert handler.calls == 1
    assert dlq.messages == []


def test_what_counts_as_an_outage() -> None:
    # Loaded here (this test imports both drivers): seven classes, each an outage.
    assert len(outage_types()) == 7
    assert all(is_dependency_outage(kind.__new__(kind)) for kind in outage_types())
    assert is_dependency_outage(database_down())
    assert is_dependency_outage(redis.exceptions.ConnectionError("redis down"))
    assert is_dependency_outage(ConnectionRefusedError())
    try:
        try:
            raise database_down()
        except OperationalError as cause:
            raise RuntimeError("repository failed") from cause
    except RuntimeError as wrapped:
        assert is_dependency_outage(wrapped)
    assert not is_dependency_outage(ValueError("bad"))
    assert not is_dependency_outage(RuntimeError("bug"))


def test_in_place_retries_must_fit_well_inside_the_poll_interval() -> None:
    settings = MessagingSettings()
    assert settings.consumer_outage_retry_seconds + settings.consumer_max_backoff_seconds <= (
        settings.consumer_max_poll_interval_seconds / 2
    )
    with pytest.raises(ValueError, match="max_poll_interval"):
        MessagingSettings(consumer_outage_retry_seconds=200.0)
