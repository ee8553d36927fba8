"""The envelope every integration event travels in, and the registry of event types.

On the wire an event is exactly ``{"id","type","occurred_at","source","data"}`` (UTF-8 JSON).
``type`` names the event ("OrderPlaced"); the schema version lives in the Python class, not in
the message: a compatible change (a new optional field) keeps the class and the type; an
incompatible one is a new type name, published beside the old one until every consumer moved.
Readers are tolerant: unknown fields in ``data`` are ignored, so producers may add fields first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class UnknownEvent(ValueError):
    """The envelope's ``type`` is not one this code knows (a newer producer, or garbage)."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


_REGISTRY: dict[str, type[EventPayload]] = {}


class EventPayload(BaseModel):
    """Base of every event's ``data``. Subclasses set ``event_type`` and are registered by it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is None:
            return  # an abstract intermediate class
        if event_type in _REGISTRY and _REGISTRY[event_type] is not cls:
            raise TypeError(f"event type {event_type!r} is registered twice")
        _REGISTRY[event_type] = cls

    @property
    def partition_key(self) -> str:
        """The Kafka key that keeps this event in order with its aggregate's other events."""
        raise NotImplementedError


def event_types() -> dict[str, type[EventPayload]]:
    """Every registered event type (a copy), for tests and documentation."""
    return dict(_REGISTRY)


def new_event_id() -> str:
    return str(uuid.uuid4())


class EventEnvelope(BaseModel):
    """One integration event as published: identity, type, time, producer and payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=100)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        source: str,
        *,
        event_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        """Put ``payload`` in a new envelope with a fresh id (unless given) and the current time."""
        return cls(
            id=event_id or new_event_id(),
            type=payload.event_type,
            occurred_at=occurred_at or datetime.now(UTC),
            source=source,
            data=payload.model_dump(mode="json"),
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        """Parse a message value; raises ``ValueError`` (a ``ValidationError``) on garbage."""
        return cls.model_validate_json(raw)


def parse_payload(envelope: EventEnvelope) -> EventPayload:
    """The typed event inside ``envelope``.

    Raises :class:`UnknownEvent` for a type this code does not know and pydantic's
    ``ValidationError`` (a ``ValueError``) when ``data`` does not fit the type's schema.
    """
    payload_type = _REGISTRY.get(envelope.type)
    if payload_type is None:
        raise UnknownEvent(envelope.type)
    return payload_type.model_validate(envelope.data)
