"""Fakes for live order status: reads from the in-memory store, a clock that moves only when
told, and a change feed that plays a script instead of waiting."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

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


Step = Callable[[], None]


class ScriptedFeed:
    """Each wait plays the next step of the script: ``(seconds, change)`` lets ``seconds``
    pass, applies ``change`` and reports a change; with no step left, the whole wait passes
    and it reports none. Every wait is recorded. Its time is the only time that passes:
    :meth:`monotonic` is the stream's clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.script: deque[tuple[float, Step]] = deque()
        self.waits: list[tuple[str, int, float]] = []

    def monotonic(self) -> float:
        return self.now

    def then(self, change: Step, *, after: float = 0.0) -> ScriptedFeed:
        self.script.append((after, change))
        return self

    async def changed(self, order_id: str, *, after_version: int, within: float) -> bool:
        self.waits.append((order_id, after_version, within))
        if self.script:
            seconds, change = self.script.popleft()
            self.now += min(seconds, within)
            if seconds < within:
                change()
                return True
            self.script.appendleft((seconds - within, change))
            return False
        self.now += within
        return False
