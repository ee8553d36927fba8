"""Bodies of the admin API (strict, like every other service's)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from commerce.kernel.admin.console import MessagingOverview
from commerce.kernel.admin.records import AuditEntry, DeadLetter, ReplayCounts
from commerce.kernel.http.schemas import Printable, RequestBody, UtcTimestamp

MAX_REASON = 500
Status = Literal["OPEN", "REPLAYED", "DISCARDED"]


class DiscardBody(RequestBody):
    """Why the dead letter is given up on (1..500 printable characters)."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON), Printable]


class DeadLetterOut(BaseModel):
    id: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    error_type: str
    error_message: str
    attempts: int = Field(description="Deliveries and replays that failed so far.")
    failed_at: UtcTimestamp
    status: Status
    resolved_by: str | None = Field(description="User id of the operator who resolved it.")
    resolved_at: UtcTimestamp | None
    reason: str | None = Field(description="Why it was discarded.")

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterOut:
        return cls(
            id=str(letter.id),
            topic=letter.topic,
            partition=letter.partition,
            offset=letter.offset,
            event_id=letter.event_id,
            event_type=letter.event_type,
            error_type=letter.error_type,
            error_message=letter.error_message,
            attempts=letter.attempts,
            failed_at=letter.failed_at,
            status=letter.status.value,
            resolved_by=letter.resolved_by,
            resolved_at=letter.resolved_at,
            reason=letter.reason,
        )


class DeadLetterDetail(DeadLetterOut):
    key: str | None
    headers: dict[str, str]
    payload: Any = Field(description="The message: its JSON envelope, or its text if not JSON.")

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterDetail:
        try:
            payload: Any = json.loads(letter.value)
        except ValueError:
            payload = letter.value
        summary = DeadLetterOut.of(letter).model_dump()
        return cls(**summary, key=letter.key, headers=letter.headers, payload=payload)


class ReplayCountsOut(BaseModel):
    replayed: int
    failed: int

    @classmethod
    def of(cls, counts: ReplayCounts) -> ReplayCountsOut:
        return cls(replayed=counts.replayed, failed=counts.failed)


class AuditOut(BaseModel):
    id: str
    actor_id: str
    actor_email: str
    action: str = Field(description="`replay`, `replay-all` or `discard`.")
    target: str
    detail: str = Field(description="The reason given, or the outcome.")
    at: UtcTimestamp

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=str(entry.id),
            actor_id=entry.actor_id,
            actor_email=entry.actor_email,
            action=entry.action,
            target=entry.target,
            detail=entry.detail,
            at=entry.at,
        )


class OutboxOut(BaseModel):
    backlog: int = Field(description="Events written but not yet published.")
    oldest_age_seconds: float | None


class ConsumerLagOut(BaseModel):
    group: str
    topic: str
    partition: int | None
    committed: int | None
    end: int | None
    lag: int | None = Field(description="null when the broker could not say.")


class DeadLetterCounts(BaseModel):
    open: int


class MessagingOut(BaseModel):
    service: str
    outbox: OutboxOut | None = Field(description="null: the service has no outbox.")
    consumers: list[ConsumerLagOut]
    consumer_lag_available: bool = Field(
        description="false when the broker did not answer in time (lags are null then)."
    )
    consumer_lag_detail: str | None
    dead_letters: DeadLetterCounts

    @classmethod
    def of(cls, overview: MessagingOverview) -> MessagingOut:
        outbox = overview.outbox
        return cls(
            service=overview.service,
            outbox=None
            if outbox is None
            else OutboxOut(backlog=outbox.backlog, oldest_age_seconds=outbox.oldest_age_seconds),
            consumers=[
                ConsumerLagOut(
                    group=row.group,
                    topic=row.topic,
                    partition=row.partition,
                    committed=row.committed,
                    end=row.end,
                    lag=row.lag,
                )
                for row in overview.lag.partitions
            ],
            consumer_lag_available=overview.lag.available,
            consumer_lag_detail=overview.lag.detail,
            dead_letters=DeadLetterCounts(open=overview.open_dead_letters),
        )
