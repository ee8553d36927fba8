"""Plain-Python building blocks for every service's domain: errors, events, aggregates.

Nothing here imports a framework, so any domain module may use it. The HTTP adapter maps
each error family to one status in a single table (``commerce.kernel.http.problems``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


class DomainError(Exception):
    """A business rule said no. ``code`` is stable and safe to show to clients."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class InvalidInput(DomainError):
    """The request's content breaks a rule; ``field`` names the offending input, if one does.

    ``field`` uses the names of the HTTP layer's schema errors ("query.cursor",
    "header.Idempotency-Key", "items.0.quantity"), so a client reads both kinds alike.
    """

    code = "invalid_input"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class DependencyUnavailable(DomainError):
    """Something this service relies on (a peer service, a store) cannot answer right now.

    Not the caller's fault and worth retrying shortly: a 503 with ``Retry-After``. Adapters
    raise a subclass naming the dependency (e.g. the user service, for auth's sign-in).
    """

    code = "dependency_unavailable"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened inside an aggregate, collected by the unit of work."""

    occurred_at: datetime = field(default_factory=utc_now)


class AggregateRoot:
    """Keeps the events an aggregate raised until the unit of work takes them."""

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        if not hasattr(self, "_events"):
            self._events = []
        self._events.append(event)

    def pull_events(self) -> list[DomainEvent]:
        events = getattr(self, "_events", [])
        self._events = []
        return events
