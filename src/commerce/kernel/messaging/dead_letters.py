"""Messages as a consumer reads them, and the dead-letter topic it parks the hopeless ones in.

The dead-letter record is the original one (key, value, headers) plus ``dlq.*`` headers
saying why, on ``<topic>.dlq``; replaying it is an operator's decision. If even that record
cannot be published, :class:`DeadLetterFailed` is raised and nothing may be committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from commerce.contracts.topics import dlq_topic
from commerce.kernel.messaging.publisher import OutgoingMessage, Publisher
from commerce.kernel.observability.platform_metrics import record_dead_letter

log = logging.getLogger("commerce.messaging.consumer")

DLQ_HEADER_PREFIX = "dlq."


class DeadLetterFailed(Exception):
    """The dead-letter topic did not acknowledge the record; the message must not be committed."""


@dataclass(frozen=True)
class IncomingMessage:
    """A record as read from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    def text_headers(self) -> dict[str, str]:
        return {k: v.decode("utf-8", "replace") for k, v in self.headers if v is not None}


def dead_letter(
    message: IncomingMessage, *, group_id: str, error: BaseException, attempts: int
) -> OutgoingMessage:
    """The record for ``<topic>.dlq``: the original, plus headers saying what went wrong."""
    headers = {
        k: v for k, v in message.text_headers().items() if not k.startswith(DLQ_HEADER_PREFIX)
    }
    headers.update(
        {
            "dlq.error.type": type(error).__name__,
            "dlq.error.message": str(error)[:1000],
            "dlq.original.topic": message.topic,
            "dlq.original.partition": str(message.partition),
            "dlq.original.offset": str(message.offset),
            "dlq.consumer.group": group_id,
            "dlq.attempts": str(attempts),
            "dlq.failed_at": datetime.now(UTC).isoformat(),
        }
    )
    return OutgoingMessage(
        topic=dlq_topic(message.topic),
        key=message.key.decode("utf-8", "replace") if message.key is not None else None,
        value=message.value or b"",
        headers=headers,
    )


async def park(
    publisher: Publisher,
    message: IncomingMessage,
    *,
    group_id: str,
    error: BaseException,
    attempts: int,
) -> None:
    """Publish ``message`` to its dead-letter topic, or raise :class:`DeadLetterFailed`."""
    record = dead_letter(message, group_id=group_id, error=error, attempts=attempts)
    (result,) = await publisher.publish([record])
    if result is not None:
        raise DeadLetterFailed(f"could not publish to {record.topic}: {result}") from result
    record_dead_letter(group_id, message.topic)
    log.error(
        "message %s/%d@%d moved to %s (%s)",
        message.topic,
        message.partition,
        message.offset,
        record.topic,
        type(error).__name__,
    )
