"""What the consumer decides for one message: handle, retry, or dead-letter (with fakes)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from opentelemetry import trace
from prometheus_client import REGISTRY

from commerce.contracts import EventEnvelope, OrderCancelled, UnknownEvent
from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.processing import (
    DeadLetterFailed,
    IncomingMessage,
    MessageProcessor,
    Outcome,
    PermanentError,
    RetryPolicy,
)
from commerce.kernel.messaging.publisher import OutgoingMessage


def metric(kind: str) -> float:
    """This test group's consumer counter (handled, retries, dead_letters), in this process."""
    labels = {"group": "product", "topic": "commerce.order.events"}
    if kind == "retries":
        labels["reason"] = "error"
    return REGISTRY.get_sample_value(f"commerce_consumer_{kind}_total", labels) or 0.0


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def envelope() -> EventEnvelope:
    return EventEnvelope.wrap(OrderCancelled(order_id="o1"), "order")


def message(value: bytes, **headers: str) -> IncomingMessage:
    return IncomingMessage(
        topic="commerce.order.events",
        partition=2,
        offset=41,
        key=b"o1",
        value=value,
        headers=tuple((k, v.encode()) for k, v in headers.items()),
    )


class Handler:
    """Fails the first ``failures`` calls with ``error``, then succeeds."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or RuntimeError("database is down")
        self.calls: list[EventEnvelope] = []
        self.trace_ids: list[str] = []

    async def __call__(self, delivered: EventEnvelope) -> None:
        self.calls.append(delivered)
        self.trace_ids.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
        if len(self.calls) <= self.failures:
            raise self.error


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def processor(
    handler: Handler, dlq: InMemoryPublisher, sleeps: Sleeps, attempts: int = 4
) -> MessageProcessor:
    policy = RetryPolicy(max_attempts=attempts, backoff_seconds=0.1, max_backoff_seconds=0.25)
    return MessageProcessor(handler, dlq, group_id="product", policy=policy, sleep=sleeps)


async def test_a_good_message_is_handled_once_without_dead_letters() -> None:
    handler, dlq, sleeps = Handler(), InMemoryPublisher(), Sleeps()
    event = envelope()
    outcome = await processor(handler, dlq, sleeps).process(message(event.to_json()))
    assert outcome is Outcome.HANDLED
    assert handler.calls == [event]
    assert dlq.messages == []
    assert sleeps.delays == []


async def test_transient_failures_are_retried_with_growing_capped_backoff() -> None:
    before = {name: metric(name) for name in ("handled", "retries", "dead_letters")}
    handler, dlq, sleeps = Handler(failures=3), InMemoryPublisher(), Sleeps()
    worker = processor(handler, dlq, sleeps, attempts=4)
    assert await worker.process(message(envelope().to_json())) is Outcome.HANDLED
    assert len(handler.calls) == 4
    assert sleeps.delays == [0.1, 0.2, 0.25]
    assert dlq.messages == []
    moved = {name: metric(name) - before[name] for name in before}
    assert moved == {"handled": 1, "retries": 3, "dead_letters": 0}


async def test_after_the_last_attempt_the_raw_message_goes_to_the_dlq_with_the_error() -> None:
    before = metric("dead_letters")
    handler, dlq, sleeps = Handler(failures=99), InMemoryPublisher(), Sleeps()
    raw = envelope().to_json()
    worker = processor(handler, dlq, sleeps, attempts=3)
    outcome = await worker.process(message(raw, traceparent=TRACEPARENT))
    assert outcome is Outcome.DEAD_LETTERED
    assert len(handler.calls) == 3
    (parked,) = dlq.messages
    assert parked.topic == "commerce.order.events.dlq"
    assert parked.key == "o1"
    assert parked.value == raw
    assert parked.headers["traceparent"] == TRACEPARENT  # the original headers stay
    assert parked.headers["dlq.error.type"] == "RuntimeError"
    assert parked.headers["dlq.error.message"] == "database is down"
    assert parked.headers["dlq.attempts"] == "3"
    assert parked.headers["dlq.original.topic"] == "commerce.order.events"
    assert parked.headers["dlq.original.partition"] == "2"
    assert parked.headers["dlq.original.offset"] == "41"
    assert parked.headers["dlq.consumer.group"] == "product"
    assert "dlq.failed_at" in parked.headers
    assert metric("dead_letters") == before + 1


@pytest.mark.parametrize("raw", [b"", b"{not json", b'{"id":"1"}', b"\xff\xfe"])
async def test_an_unparsable_message_is_dead_lettered_without_calling_the_handler(
    raw: bytes,
) -> None:
    handler, dlq, sleeps = Handler(), InMemoryPublisher(), Sleeps()
    assert await processor(handler, dlq, sleeps).process(message(raw)) is Outcome.DEAD_LETTERED
    assert handler.calls == []
    assert dlq.messages[0].value == raw
    assert dlq.messages[0].headers["dlq.attempts"] == "0"
    assert dlq.messages[0].headers["dlq.error.type"] == "ValidationError"


@pytest.mark.parametrize(
    "error", [PermanentError("no such warehouse"), UnknownEvent("OrderTeleported")]
)
async def test_a_permanent_error_is_not_retried(error: Exception) -> None:
    handler, dlq, sleeps = Handler(failures=1, error=error), InMemoryPublisher(), Sleeps()
    outcome = await processor(handler, dlq, sleeps).process(message(envelope().to_json()))
    assert outcome is Outcome.DEAD_LETTERED
    assert len(handler.calls) == 1
    assert sleeps.delays == []
    assert dlq.messages[0].headers["dlq.error.type"] == type(error).__name__


async def test_when_even_the_dlq_fails_the_error_propagates_so_nothing_is_committed() -> None:
    handler, dlq, sleeps = Handler(failures=99), InMemoryPublisher(), Sleeps()
    dlq.fail_next = 1
    with pytest.raises(DeadLetterFailed):
        await processor(handler, dlq, sleeps, attempts=1).process(message(envelope().to_json()))
    assert dlq.messages == []


async def test_the_handler_runs_in_the_trace_context_carried_by_the_message() -> None:
    handler, dlq, sleeps = Handler(), InMemoryPublisher(), Sleeps()
    await processor(handler, dlq, sleeps).process(
        message(envelope().to_json(), traceparent=TRACEPARENT)
    )
    assert handler.trace_ids == [TRACE_ID]
    assert trace.get_current_span().get_span_context().trace_id == 0  # detached afterwards


async def test_dlq_headers_of_an_earlier_failure_are_replaced_not_repeated() -> None:
    handler, dlq, sleeps = Handler(failures=99), InMemoryPublisher(), Sleeps()
    replayed = message(envelope().to_json(), **{"dlq.error.type": "OldError", "x-keep": "yes"})
    await processor(handler, dlq, sleeps, attempts=1).process(replayed)
    headers = dlq.messages[0].headers
    assert headers["dlq.error.type"] == "RuntimeError"
    assert headers["x-keep"] == "yes"


def test_retry_policy_doubles_and_caps() -> None:
    policy = RetryPolicy(max_attempts=9, backoff_seconds=0.2, max_backoff_seconds=1.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]


async def test_the_fake_publisher_reports_each_failure_in_place() -> None:
    publisher = InMemoryPublisher()
    publisher.fail_next = 1
    batch: Sequence[OutgoingMessage] = [
        OutgoingMessage("t", "a", b"1"),
        OutgoingMessage("t", "b", b"2"),
    ]
    results = await publisher.publish(batch)
    assert isinstance(results[0], ConnectionError)
    assert results[1] is None
    assert publisher.messages == [batch[1]]
