"""Hand-written fakes of the order service's ports: an in-memory store with transactions."""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from commerce.kernel.domain import DomainEvent
from commerce.kernel.repository import TrackingRepository
from commerce.order.application.ports import DuplicatePlacement, PlacementRequest, StaleOrder
from commerce.order.domain.order import Order, OrderStatus
from commerce.order.domain.redrive import RedriveSchedule


@dataclass
class Store:
    """What a database would hold: committed orders, placements, units held per user, the
    outbox and the inbox."""

    orders: dict[str, Order] = field(default_factory=dict)
    held_units: Counter[str] = field(default_factory=Counter)
    placements: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    outbox: list[DomainEvent] = field(default_factory=list)
    inbox: set[str] = field(default_factory=set)
    commits: int = 0


class FakeOrderRepository(TrackingRepository[Order]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self.added: list[tuple[Order, PlacementRequest | None]] = []
        self.saved: list[Order] = []

    async def add(self, order: Order, request: PlacementRequest | None = None) -> None:
        if request and (order.user_id, request.key_hash) in self._store.placements:
            raise DuplicatePlacement()
        self.added.append((order, request))
        self._track(order)

    async def get(self, order_id: str) -> Order | None:
        order = self._store.orders.get(order_id)
        if order is None:
            return None
        loaded = copy.deepcopy(order)
        self._track(loaded)
        return loaded

    async def find_placement(self, user_id: str, key_hash: str) -> tuple[Order, str] | None:
        found = self._store.placements.get((user_id, key_hash))
        if found is None:
            return None
        order_id, fingerprint = found
        return copy.deepcopy(self._store.orders[order_id]), fingerprint

    async def save(self, order: Order) -> None:
        if self._store.orders[order.id].version != order.version:
            raise StaleOrder()
        self.saved.append(order)

    async def due_for_redrive(
        self,
        now: datetime,
        *,
        schedule: RedriveSchedule,
        limit: int,
        backlog: timedelta = timedelta(0),
    ) -> Sequence[str]:
        due = [
            order
            for order in self._store.orders.values()
            if order.is_due_for_redrive(now, schedule, backlog=backlog)
        ]
        due.sort(key=lambda order: order.last_published_at)
        return [order.id for order in due[:limit]]


class FakeHeldUnits:
    """Changes count once committed, like the conditional UPDATEs they stand for."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.changes: Counter[str] = Counter()

    async def hold(self, user_id: str, units: int, *, cap: int) -> bool:
        if await self.held_by(user_id) + units > cap:
            return False
        self.changes[user_id] += units
        return True

    async def held_by(self, user_id: str) -> int:
        return self._store.held_units[user_id] + self.changes[user_id]

    async def release(self, user_id: str, units: int) -> None:
        self.changes[user_id] -= units


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.orders = FakeOrderRepository(store)
        self.held_units = FakeHeldUnits(store)
        self._inbox: set[str] = set()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.orders = FakeOrderRepository(self.store)  # uncommitted work vanishes
        self.held_units = FakeHeldUnits(self.store)
        self._inbox = set()

    async def first_delivery(self, event_id: str) -> bool:
        if event_id in self.store.inbox or event_id in self._inbox:
            return False
        self._inbox.add(event_id)
        return True

    async def commit(self) -> None:
        store = self.store
        for order in self.orders.seen:
            store.outbox.extend(order.pull_events())
        for order, request in self.orders.added:
            store.orders[order.id] = copy.deepcopy(order)
            if request:
                store.placements[(order.user_id, request.key_hash)] = (
                    order.id,
                    request.fingerprint,
                )
        for order in self.orders.saved:
            order.stored()
            store.orders[order.id] = copy.deepcopy(order)
        store.held_units.update(self.held_units.changes)
        store.inbox |= self._inbox
        store.commits += 1
        self.orders = FakeOrderRepository(store)
        self.held_units = FakeHeldUnits(store)
        self._inbox = set()


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class SequentialIds:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"order-{next(self._counter)}"


def pending_order(order_id: str = "o-1", user_id: str = "u-1") -> Order:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    order = Order.place(order_id=order_id, user_id=user_id, lines=[("p-1", 2), ("p-2", 1)], now=now)
    order.pull_events()
    return order


def statuses(store: Store) -> dict[str, OrderStatus]:
    return {order_id: order.status for order_id, order in store.orders.items()}
