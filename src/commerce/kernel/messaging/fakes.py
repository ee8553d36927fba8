"""In-memory stand-ins for unit tests of services and of the messaging plumbing itself."""

from __future__ import annotations

from collections.abc import Sequence

from commerce.contracts.envelope import EventEnvelope
from commerce.kernel.messaging.publisher import OutgoingMessage


class InMemoryPublisher:
    """A :class:`~commerce.kernel.messaging.publisher.Publisher` that keeps what it was given.

    ``fail_next`` makes the next that many messages fail (as a broker outage would).
    """

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.fail_next = 0
        self.error: Exception = ConnectionError("broker unavailable (fake)")

    async def publish(self, messages: Sequence[OutgoingMessage]) -> list[BaseException | None]:
        results: list[BaseException | None] = []
        for message in messages:
            if self.fail_next > 0:
                self.fail_next -= 1
                results.append(self.error)
            else:
                self.messages.append(message)
                results.append(None)
        return results

    def envelopes(self, topic: str | None = None) -> list[EventEnvelope]:
        """The published events (optionally of one topic), decoded."""
        return [
            EventEnvelope.from_json(m.value)
            for m in self.messages
            if topic is None or m.topic == topic
        ]
