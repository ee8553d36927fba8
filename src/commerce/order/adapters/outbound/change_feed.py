"""Order changes for live streams (docs/adr/0065): what this process commits, handed over
as it commits; what other processes commit, noticed by polling the watched orders' versions.

A stream follows its order before it reads it, so nothing committed after that read is
missed. The unit of work hands the feed the body of each followed order it commits (built
when the unit of work commits, delivered once the transaction has): every version committed
in the stream's own process reaches it, even several between two of its reads. While streams
follow orders, one query every ``interval`` seconds reads ``id, version`` of those orders and
tells each stream whose order moved past what it knows (another worker's commit) to read it
again. With nobody following there is no query at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.kernel.background import PeriodicTask
from commerce.order.adapters.outbound.tables import orders
from commerce.order.application.ports import OrderChanges
from commerce.order.application.views import OrderSnapshot, OrderView
from commerce.order.domain.order import Order

_VERSIONS = select(orders.c.id, orders.c.version).where(
    orders.c.id.in_(bindparam("ids", expanding=True))
)


class WrittenOrder(NamedTuple):
    order_id: str
    version: int
    body: OrderSnapshot | None  # only for an order someone followed when it was written


class _Follower:
    """One stream's view of its order: the committed bodies it has not taken yet and the
    newest version it knows was committed."""

    def __init__(self) -> None:
        self._committed: dict[int, OrderSnapshot] = {}
        self._newest = -1
        self._vanished = False
        self._moved = asyncio.Event()

    def committed(self, snapshot: OrderSnapshot) -> None:
        self._committed[snapshot.version] = snapshot
        self._learn(snapshot.version)

    def polled(self, version: int | None) -> None:
        if version is None:  # the order is gone: the stream's read will end it
            self._vanished = True
            self._moved.set()
        else:
            self._learn(version)

    def _learn(self, version: int) -> None:
        if version > self._newest:
            self._newest = version
            self._moved.set()

    async def next(self, *, after_version: int, within: float) -> OrderChanges | None:
        try:
            async with asyncio.timeout(within):
                while not (self._vanished or self._newest > after_version):
                    self._moved.clear()
                    await self._moved.wait()
        except TimeoutError:
            return None
        newer = sorted(version for version in self._committed if version > after_version)
        committed = tuple(self._committed[version] for version in newer)
        self._committed.clear()  # what is not newer is what the stream already has
        newest_body = committed[-1].version if committed else after_version
        return OrderChanges(committed, self._vanished or self._newest > newest_body)


class PollingOrderChangeFeed:
    def __init__(self, engine: AsyncEngine, *, interval: float, chunk: int = 500) -> None:
        self._engine = engine
        self._chunk = chunk  # ids per query: far below any driver's limit on parameters
        self._followers: dict[str, set[_Follower]] = {}
        self._poller = PeriodicTask("order-change-feed", self.poll, interval)

    def start(self) -> None:
        self._poller.start()

    async def stop(self) -> None:
        await self._poller.stop()

    @property
    def watched(self) -> int:
        """How many orders have a stream following them in this process."""
        return len(self._followers)

    @contextmanager
    def follow(self, order_id: str) -> Iterator[_Follower]:
        follower = _Follower()
        following = self._followers.setdefault(order_id, set())
        following.add(follower)
        try:
            yield follower
        finally:
            following.discard(follower)
            if not following and self._followers.get(order_id) is following:
                del self._followers[order_id]

    def written(self, orders_written: Iterable[Order]) -> list[WrittenOrder]:
        """What a unit of work wrote, as it commits: the body of each order followed now."""
        return [
            WrittenOrder(
                order.id,
                order.version,
                OrderSnapshot(order.version, OrderView.of(order))
                if order.id in self._followers
                else None,
            )
            for order in orders_written
        ]

    def committed(self, written: Sequence[WrittenOrder]) -> None:
        """These versions are committed: their followers in this process learn of them now.
        A follower that started between the write and the commit (a consumer's batch commits
        after all its messages) has no body for it: it reads the order."""
        for order in written:
            for follower in self._followers.get(order.order_id, ()):
                if order.body is None:
                    follower.polled(order.version)
                else:
                    follower.committed(order.body)

    async def poll(self) -> None:
        """One pass: the versions of the followed orders, told to their followers."""
        if not self._followers:
            return
        ids = list(self._followers)
        async with self._engine.connect() as connection:
            for start in range(0, len(ids), self._chunk):
                chunk = ids[start : start + self._chunk]
                rows = await connection.execute(_VERSIONS, {"ids": chunk})
                versions: dict[str, int] = {row.id: row.version for row in rows}
                for order_id in chunk:
                    for follower in self._followers.get(order_id, ()):
                        follower.polled(versions.get(order_id))
