"""Fakes for live order status: reads from the in-memory store, a clock that moves only when
told, and a change feed that plays a script instead of waiting."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from commerce.order.application.ports import OrderChanges
from commerce.order.application.views import OrderPage, OrderSnapshot, OrderView
from commerce.order.domain.order import OrderStatus
from tests.unit.order.fakes import Store


class StoreQueries:
    """Reads the store's orders as the SQL queries read the tables (version included)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, order_id: str) -> OrderView | None:
        snapshot = await self.snapshot(order_id)
        return None if snapshot is None else snapshot.order

    async def snapshot(self, order_id: str) -> OrderSnapshot | None:
        order = self._store.orders.get(order_id)
        return None if order is None else OrderSnapshot(order.version, OrderView.of(order))

    async def list_for_user(
        self, user_id: str, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return OrderPage(items=(), next_cursor=None)

    async def list_all(
        self, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return OrderPage(items=(), next_cursor=None)


Step = Callable[[], OrderChanges]


class ScriptedFeed:
    """Each wait plays the next step of the script: ``(seconds, step)`` lets ``seconds``
    pass and reports what ``step`` changed; with no step left, the whole wait passes and it
    reports nothing. Every wait is recorded. Its time is the only time that passes:
    :meth:`monotonic` is the stream's clock."""

    def __init__(self, store: Store | None = None) -> None:
        self.now = 1000.0
        self.store = store
        self.script: deque[tuple[float, Step]] = deque()
        self.waits: list[tuple[str, int, float]] = []
        self.following: list[str] = []

    def monotonic(self) -> float:
        return self.now

    def then(self, change: Callable[[], None], *, after: float = 0.0) -> ScriptedFeed:
        """A change committed by another process: the stream is told to read the order."""

        def elsewhere() -> OrderChanges:
            change()
            return OrderChanges((), read_again=True)

        self.script.append((after, elsewhere))
        return self

    def then_commits(
        self, order_id: str, *changes: Callable[[], None], after: float = 0.0
    ) -> ScriptedFeed:
        """Changes committed by this process, one after the other before the stream looks:
        the stream is handed the body of each."""

        def here() -> OrderChanges:
            assert self.store is not None
            bodies = []
            for change in changes:
                change()
                order = self.store.orders[order_id]
                bodies.append(OrderSnapshot(order.version, OrderView.of(order)))
            return OrderChanges(tuple(bodies), read_again=False)

        self.script.append((after, here))
        return self

    @contextmanager
    def follow(self, order_id: str) -> Iterator[ScriptedFeed]:
        self.following.append(order_id)
        try:
            yield self
        finally:
            self.following.remove(order_id)

    async def next(self, *, after_version: int, within: float) -> OrderChanges | None:
        self.waits.append((self.following[-1], after_version, within))
        if self.script:
            seconds, step = self.script.popleft()
            self.now += min(seconds, within)
            if seconds < within:
                return step()
            self.script.appendleft((seconds - within, step))
            return None
        self.now += within
        return None
