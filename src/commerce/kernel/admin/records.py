"""What the operations console reads and changes, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.kernel.messaging.dead_letter_records import DeadLetterStatus


@dataclass(frozen=True)
class Actor:
    """The operator an action is recorded for (from the gateway's verified identity)."""

    user_id: str
    email: str


@dataclass(frozen=True)
class DeadLetter:
    id: int
    consumer_group: str
    topic: str
    partition: int
    offset: int
    key: str | None
    value: str
    headers: dict[str, str]
    event_id: str | None
    event_type: str | None
    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime
    status: DeadLetterStatus
    resolved_by: str | None
    resolved_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor_id: str
    actor_email: str
    action: str
    target: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class OutboxBacklog:
    backlog: int
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class ReplayCounts:
    replayed: int
    failed: int
