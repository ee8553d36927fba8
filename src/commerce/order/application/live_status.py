"""Live order status (API.md, "Live order status"): the order as it is now, then each change,
until it is final; a keep-alive whenever nothing was sent for a while (docs/adr/0065)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from commerce.order.application.errors import OrderNotFound
from commerce.order.application.ports import OrderChangeFeed, OrderFollower
from commerce.order.application.queries import OrderReader
from commerce.order.application.views import OrderSnapshot
from commerce.order.domain.order import FINAL_STATUSES

FINAL = frozenset(status.value for status in FINAL_STATUSES)


@dataclass(frozen=True)
class KeepAlive:
    """Nothing changed for a keep-alive interval: the stream says it is still there."""


KEEP_ALIVE = KeepAlive()
StatusEvent = OrderSnapshot | KeepAlive


@dataclass(frozen=True)
class FollowOrder:
    user_id: str
    order_id: str
    staff: bool = False
    # The version the client saw last (its Last-Event-ID), if any.
    last_seen: int | None = None


class LiveOrderStatus:
    """Follows one order for its owner (or STAFF); reads use a short-lived connection each,
    so a waiting stream holds none."""

    def __init__(
        self,
        reader: OrderReader,
        feed: OrderChangeFeed,
        *,
        keepalive_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._feed = feed
        self._keepalive = keepalive_seconds
        self._monotonic = monotonic

    async def __call__(self, command: FollowOrder) -> AsyncIterator[StatusEvent]:
        """Raises ``OrderNotFound`` here, before anything is streamed; then the events."""
        await self._read(command)
        return self._follow(command)

    async def _read(self, command: FollowOrder) -> OrderSnapshot:
        return await self._reader.snapshot(command.user_id, command.order_id, staff=command.staff)

    async def _follow(self, command: FollowOrder) -> AsyncIterator[StatusEvent]:
        with self._feed.follow(command.order_id) as follower:
            try:
                # Read (again) once followed: what commits after this read reaches the follower.
                current = await self._read(command)
                seen = command.last_seen
                # The body the client has: a version moved by bookkeeping alone (a request sent
                # again, an answer noted) sends nothing. A client that saw this version has it.
                sent = current.order if seen == current.version else None
                quiet_since = self._monotonic()
                pending: list[OrderSnapshot] | None = [current]
                while True:
                    for snapshot in pending or ():
                        current = snapshot
                        if (seen is None or snapshot.version > seen) and snapshot.order != sent:
                            yield snapshot
                            seen, sent = snapshot.version, snapshot.order
                            quiet_since = self._monotonic()
                        if snapshot.order.status in FINAL:
                            return
                    wait = quiet_since + self._keepalive - self._monotonic()
                    if wait <= 0:
                        yield KEEP_ALIVE
                        quiet_since = self._monotonic()
                        pending = None
                    else:
                        pending = await self._changes(command, follower, current.version, wait)
            except OrderNotFound:
                return  # orders are never deleted; if one were, its stream would just end

    async def _changes(
        self, command: FollowOrder, follower: OrderFollower, after_version: int, within: float
    ) -> list[OrderSnapshot] | None:
        """The versions past ``after_version``, oldest first, once there are any; ``None``
        after ``within`` seconds without (the keep-alive is due)."""
        changes = await follower.next(after_version=after_version, within=within)
        if changes is None:
            return None
        snapshots = list(changes.committed)
        if changes.read_again:  # committed by another process: read it
            snapshots.append(await self._read(command))
        return snapshots
