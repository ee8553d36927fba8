"""Ports every service's application layer shares (plain typing, no framework)."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self


class Clock(Protocol):
    """The current time, timezone-aware UTC (``commerce.kernel.domain.utc_now`` in production)."""

    def __call__(self) -> datetime: ...


class IdFactory(Protocol):
    """A new aggregate's id (a random UUID in production), chosen before the aggregate."""

    def __call__(self) -> str: ...


class UnitOfWork(Protocol):
    """One transaction around one use case; leaving the block without ``commit()`` rolls back."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make the use case's writes, and the events its aggregates raised, durable together."""


class InboxUnitOfWork(UnitOfWork, Protocol):
    """A unit of work of a service that consumes integration events."""

    async def first_delivery(self, event_id: str) -> bool:
        """Record an incoming event id in this transaction; ``False`` if it was seen before
        (then the handler does nothing and returns)."""
