"""A message the consumer parks is also recorded in the service's database (ADR 0048)."""

from __future__ import annotations

from datetime import datetime

import pytest

from commerce.kernel.messaging.fakes import InMemoryPublisher
from commerce.kernel.messaging.processing import (
    IncomingMessage,
    MessageProcessor,
    Outcome,
    PermanentError,
    RetryPolicy,
)
from tests.unit.kernel.messaging.test_processing import Handler, Sleeps, envelope, message


class Recorder:
    """A dead-letter sink that keeps what it was given, or fails like a database outage."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.recorded: list[tuple[IncomingMessage, str, str, int]] = []

    async def record(
        self,
        message: IncomingMessage,
        *,
        group_id: str,
        error: BaseException,
        attempts: int,
        failed_at: datetime,
    ) -> None:
        if self.error is not None:
            raise self.error
        self.recorded.append((message, group_id, type(error).__name__, attempts))


def recording_processor(
    handler: Handler, dlq: InMemoryPublisher, recorder: Recorder
) -> MessageProcessor:
    policy = RetryPolicy(max_attempts=2, backoff_seconds=0.1, max_backoff_seconds=0.25)
    return MessageProcessor(
        handler, dlq, group_id="product", policy=policy, sleep=Sleeps(), recorder=recorder
    )


async def test_a_parked_message_is_also_recorded_for_the_operators() -> None:
    dlq, recorder = InMemoryPublisher(), Recorder()
    incoming = message(envelope().to_json())
    handler = Handler(failures=9, error=PermanentError("no such order"))

    outcome = await recording_processor(handler, dlq, recorder).process(incoming)

    assert outcome is Outcome.DEAD_LETTERED
    assert recorder.recorded == [(incoming, "product", "PermanentError", 1)]
    assert [m.topic for m in dlq.messages] == ["commerce.order.events.dlq"]


async def test_a_handled_message_is_not_recorded() -> None:
    dlq, recorder = InMemoryPublisher(), Recorder()
    await recording_processor(Handler(), dlq, recorder).process(message(envelope().to_json()))
    assert recorder.recorded == [] and dlq.messages == []


async def test_when_recording_fails_nothing_is_parked_and_the_error_propagates() -> None:
    dlq, recorder = InMemoryPublisher(), Recorder(error=ConnectionError("database down"))
    with pytest.raises(ConnectionError):
        await recording_processor(Handler(), dlq, recorder).process(message(b"not json"))
    assert dlq.messages == []
