"""The base of every repository of aggregates: it remembers the aggregates it handed out or
took in, so the unit of work finds the events they recorded (plain Python, fakes use it too)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from commerce.kernel.domain import AggregateRoot

A = TypeVar("A", bound=AggregateRoot)


class TrackingRepository(Generic[A]):
    """Subclasses pass each aggregate they load, add or save through :meth:`_track`."""

    def __init__(self) -> None:
        # Keyed by identity: the same object loaded twice is one aggregate, in first-seen order.
        self._tracked: dict[int, A] = {}

    @property
    def seen(self) -> list[A]:
        """The aggregates of this unit of work, in the order they were first seen."""
        return list(self._tracked.values())

    def _track(self, aggregate: A) -> A:
        self._tracked.setdefault(id(aggregate), aggregate)
        return aggregate

    def _track_all(self, aggregates: Iterable[A]) -> None:
        for aggregate in aggregates:
            self._track(aggregate)


def tracked_aggregates(holder: object) -> list[AggregateRoot]:
    """The aggregates seen by every :class:`TrackingRepository` attribute of ``holder``."""
    return [
        aggregate
        for value in vars(holder).values()
        if isinstance(value, TrackingRepository)
        for aggregate in value.seen
    ]
