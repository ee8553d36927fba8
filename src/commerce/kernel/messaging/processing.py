"""What a consumer does with one message: parse, run the handler with retries, or dead-letter.

Kept apart from the Kafka loop so the decisions can be tested with fakes:
- a value that is not an event envelope goes to the dead-letter topic at once;
- a handler error is retried with exponential backoff, up to ``max_attempts`` in all;
- a dependency outage (:func:`~commerce.kernel.outages.outage_types`: the database or
  Redis is down) is never dead-lettered: the message is retried with capped backoff for up to
  ``outage_retry_seconds`` in place, then handed back as :attr:`Outcome.DEFERRED` so the
  consumer seeks back to it, polls (staying in its group) and tries again, until the outage
  ends. Parking every in-flight event because a database restart took a few seconds would
  only move the recovery to slower paths (the DLQ, the saga's re-drive);
- a :class:`PermanentError` (or a payload that does not fit its schema, or an unknown type)
  is dead-lettered without retrying, since retrying cannot change the outcome;
- the dead-letter record is the original one plus ``dlq.*`` headers
  (:mod:`~commerce.kernel.messaging.dead_letters`), also kept in the service's own
  ``dead_letters`` table when it has one (docs/adr/0048); if either write fails, the error
  propagates and nothing is committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pydantic import ValidationError

from commerce.contracts.envelope import EventEnvelope, UnknownEvent
from commerce.kernel.backoff import backoff_seconds
from commerce.kernel.batching import batch_of_keys
from commerce.kernel.domain import utc_now
from commerce.kernel.messaging.dead_letter_records import DeadLetterSink
from commerce.kernel.messaging.dead_letters import DeadLetterFailed, IncomingMessage, park
from commerce.kernel.messaging.publisher import Publisher
from commerce.kernel.observability.platform_metrics import (
    record_consumer_handled,
    record_consumer_retry,
)
from commerce.kernel.outages import is_dependency_outage

__all__ = [
    "DeadLetterFailed",
    "EventHandler",
    "IncomingMessage",
    "MessageProcessor",
    "Outcome",
    "PermanentError",
    "RetryPolicy",
    "is_permanent",
]

log = logging.getLogger("commerce.messaging.consumer")
tracer = trace.get_tracer("commerce.kernel.messaging")

EventHandler = Callable[[EventEnvelope], Awaitable[None]]
# Opens one transaction for a whole batch (commerce.kernel.db.shared_transaction).
BatchTransaction = Callable[[], AbstractAsyncContextManager[object]]
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class PermanentError(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it, don't retry."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 5.0
    # How long a message that meets a dependency outage is retried in place before it is
    # handed back (DEFERRED); the consumer must poll again well within max_poll_interval.
    outage_retry_seconds: float = 30.0

    def delay(self, failed_attempts: int) -> float:
        """The pause after the ``failed_attempts``-th failure (1, 2, ...): doubling, capped."""
        return backoff_seconds(
            failed_attempts, base=self.backoff_seconds, cap=self.max_backoff_seconds
        )


class Outcome(Enum):
    HANDLED = "handled"
    DEAD_LETTERED = "dead_lettered"
    # A dependency is still down: do not commit, fetch the message again and retry.
    DEFERRED = "deferred"


def is_permanent(error: BaseException) -> bool:
    return isinstance(error, PermanentError | ValidationError | UnknownEvent)


class MessageProcessor:
    """Applies one consumer group's handler to messages, one at a time per partition."""

    def __init__(
        self,
        handler: EventHandler,
        dead_letters: Publisher,
        *,
        group_id: str,
        policy: RetryPolicy,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        stopping: Callable[[], bool] = lambda: False,
        recorder: DeadLetterSink | None = None,
    ) -> None:
        self._handler = handler
        self._dead_letters = dead_letters
        self._recorder = recorder
        self._group_id = group_id
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._stopping = stopping
        # (topic, partition) -> (offset, outage failures so far) of a deferred message, so its
        # backoff goes on growing when it comes back instead of starting over.
        self._outage_streaks: dict[tuple[str, int], tuple[int, int]] = {}

    async def process(self, message: IncomingMessage) -> Outcome:
        """Handle ``message``, park it in the dead-letter topic, or defer it while a dependency
        is down; raises only when even parking failed (then the caller must not commit)."""
        try:
            envelope = EventEnvelope.from_json(message.value or b"")
        except ValueError as error:
            await self._park(message, error, attempts=0)
            return Outcome.DEAD_LETTERED
        parent = propagate.extract(message.text_headers())
        token = otel_context.attach(parent)
        try:
            failure = await self._attempt(message, envelope)
        finally:
            otel_context.detach(token)
        if failure is None:
            record_consumer_handled(self._group_id, message.topic)
            return Outcome.HANDLED
        if failure is Outcome.DEFERRED:
            return Outcome.DEFERRED
        last_error, attempts = failure
        await self._park(message, last_error, attempts=attempts)
        return Outcome.DEAD_LETTERED

    async def process_batch(
        self, messages: Sequence[IncomingMessage], transaction: BatchTransaction
    ) -> bool:
        """Apply ``messages`` (a poll's, each partition's in order) in one transaction, once each.

        True when all were applied and committed together. False when anything went wrong
        (a value that is not an event, a handler error, a duplicate, an outage): then
        nothing of the batch was committed, and the caller processes the messages one by
        one with :meth:`process`, which retries, defers or dead-letters each as it should.
        """
        try:
            envelopes = [EventEnvelope.from_json(message.value or b"") for message in messages]
        except ValueError:
            return False
        keys = (message.key.decode(errors="replace") for message in messages if message.key)
        try:
            with batch_of_keys(keys):
                async with transaction():
                    for message, envelope in zip(messages, envelopes, strict=True):
                        token = otel_context.attach(propagate.extract(message.text_headers()))
                        try:
                            await self._run_handler(message, envelope, 1)
                        finally:
                            otel_context.detach(token)
        except Exception as error:
            partitions = sorted({f"{m.topic}[{m.partition}]" for m in messages})
            log.info(
                "batch of %d from %s applied %s instead: %s",
                len(messages),
                ", ".join(partitions),
                "one by one" if len(partitions) == 1 else "partition by partition",
                type(error).__name__,
            )
            return False
        for message in messages:
            record_consumer_handled(self._group_id, message.topic)
        return True

    async def _attempt(
        self, message: IncomingMessage, envelope: EventEnvelope
    ) -> tuple[BaseException, int] | Literal[Outcome.DEFERRED] | None:
        """None when handled, DEFERRED during an outage, else the error and attempts made."""
        where = (message.topic, message.partition)
        offset, outages = self._outage_streaks.pop(where, (message.offset, 0))
        if offset != message.offset:
            outages = 0
        deadline = self._clock() + self._policy.outage_retry_seconds
        attempt = errors = 0
        while True:
            attempt += 1
            try:
                await self._run_handler(message, envelope, attempt)
                return None
            except Exception as error:
                if is_permanent(error):
                    self._log_given_up(envelope, attempt, error)
                    return error, attempt
                outage = is_dependency_outage(error)
                if outage:
                    outages += 1  # not the message's fault: never dead-lettered for it
                else:
                    errors += 1
                    if errors >= self._policy.max_attempts:
                        self._log_given_up(envelope, attempt, error)
                        return error, attempt
                if self._stopping():
                    return Outcome.DEFERRED  # uncommitted: redelivered after the restart
                failures = outages if outage else errors
                self._log_retry(message, envelope, error, outage, failures)
                await self._sleep(self._policy.delay(failures))
                if self._stopping() or (outage and self._clock() >= deadline):
                    # Let the consumer poll (and so stay in its group), then come back.
                    self._outage_streaks[where] = (message.offset, outages)
                    return Outcome.DEFERRED

    async def _run_handler(
        self, message: IncomingMessage, envelope: EventEnvelope, attempt: int
    ) -> None:
        with tracer.start_as_current_span(
            f"{message.topic} process",
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation": "process",
                "messaging.destination.name": message.topic,
                "messaging.destination.partition.id": str(message.partition),
                "messaging.kafka.message.offset": message.offset,
                "messaging.kafka.consumer.group": self._group_id,
                "messaging.message.id": envelope.id,
                "commerce.event.type": envelope.type,
                "commerce.delivery.attempt": attempt,
            },
        ):
            await self._handler(envelope)
            log.info("handled %s %s from %s", envelope.type, envelope.id, message.topic)

    def _log_retry(
        self,
        message: IncomingMessage,
        envelope: EventEnvelope,
        error: BaseException,
        outage: bool,
        failures: int,
    ) -> None:
        record_consumer_retry(self._group_id, message.topic, "outage" if outage else "error")
        log.warning(
            "event %s (%s) failed (%s), retrying: %s: %s",
            envelope.id,
            envelope.type,
            f"dependency outage, failure {failures}"
            if outage
            else f"attempt {failures} of {self._policy.max_attempts}",
            type(error).__name__,
            error,
        )

    def _log_given_up(self, envelope: EventEnvelope, attempt: int, error: BaseException) -> None:
        log.error(
            "event %s (%s) failed for good after %d attempt(s): %s: %s",
            envelope.id,
            envelope.type,
            attempt,
            type(error).__name__,
            error,
            exc_info=error,
        )

    async def _park(self, message: IncomingMessage, error: BaseException, *, attempts: int) -> None:
        if self._recorder is not None:
            # First, so that a message the operator will see in the console is never only
            # on the DLQ topic; a redelivery after a failed publish is recorded once.
            await self._recorder.record(
                message,
                group_id=self._group_id,
                error=error,
                attempts=attempts,
                failed_at=utc_now(),
            )
        await park(
            self._dead_letters, message, group_id=self._group_id, error=error, attempts=attempts
        )
