"""What the order use cases need from the outside, named by role."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from commerce.kernel.ports import InboxUnitOfWork
from commerce.order.application.views import OrderPage, OrderSnapshot, OrderView
from commerce.order.domain.order import Order, OrderStatus
from commerce.order.domain.redrive import RedriveSchedule


@dataclass(frozen=True)
class PlacementRequest:
    """How a client's ``Idempotency-Key`` is remembered: a hash of the key (compared exactly,
    whatever the database's collation) and a fingerprint of the request body."""

    key_hash: str
    fingerprint: str


class DuplicatePlacement(Exception):
    """Another order of this user already holds this idempotency key."""


class StaleOrder(Exception):
    """The order changed since it was loaded; the use case should run again."""


class OrderRepository(Protocol):
    """Orders of this service, loaded and saved as whole aggregates."""

    async def add(self, order: Order, request: PlacementRequest | None = None) -> None:
        """Insert a new order; raises :class:`DuplicatePlacement` if the key is taken."""

    async def get(self, order_id: str) -> Order | None:
        """The order with this id, or ``None``."""

    async def find_placement(self, user_id: str, key_hash: str) -> tuple[Order, str] | None:
        """The user's order placed with this key, with the fingerprint of that request."""

    async def save(self, order: Order) -> None:
        """Write a loaded order back; raises :class:`StaleOrder` if someone changed it first."""

    async def due_for_redrive(
        self,
        now: datetime,
        *,
        schedule: RedriveSchedule,
        limit: int,
        backlog: timedelta = timedelta(0),
    ) -> Sequence[str]:
        """Ids of orders still awaiting an answer and quiet at ``now`` for as long as
        ``schedule`` asks after their number of sends plus ``backlog``, or awaiting their
        payment beyond its deadline, longest-waiting first."""


class HeldUnits(Protocol):
    """How many units each user's orders that are not final hold together (ADR 0063), changed
    in the transaction that changes those orders; the database decides the cap, not Python."""

    async def hold(self, user_id: str, units: int, *, cap: int) -> bool:
        """Add ``units`` to the user's held units unless the sum would pass ``cap``;
        ``False``: it would, and nothing was added."""

    async def held_by(self, user_id: str) -> int:
        """The units the user holds now."""

    async def release(self, user_id: str, units: int) -> None:
        """Give back ``units`` that an order of the user no longer holds."""


class OrderUnitOfWork(InboxUnitOfWork, Protocol):
    """One transaction; ``commit`` also writes the aggregates' events to the outbox."""

    # Read-only properties, not attributes: a protocol's attribute is invariant, so an adapter
    # whose ``orders`` is its own repository class would not match it.
    @property
    def orders(self) -> OrderRepository: ...

    @property
    def held_units(self) -> HeldUnits: ...


class OrderQueries(Protocol):
    """Reads for clients, straight from the tables."""

    async def get(self, order_id: str) -> OrderView | None:
        """One order, whoever owns it (the caller checks ownership)."""

    async def snapshot(self, order_id: str) -> OrderSnapshot | None:
        """One order with its version, read together (the caller checks ownership)."""

    async def list_for_user(
        self,
        user_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: OrderStatus | None,
    ) -> OrderPage:
        """The user's orders, newest first, one keyset page at a time."""

    async def list_all(
        self, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        """Every customer's orders, newest first, one keyset page at a time (for STAFF)."""


@dataclass(frozen=True)
class OrderChanges:
    """What a follower of one order learns when it moved: the bodies of the versions this
    process committed, oldest first, and whether a later version, committed by another
    process, is to be read from the store."""

    committed: tuple[OrderSnapshot, ...]
    read_again: bool


class OrderFollower(Protocol):
    async def next(self, *, after_version: int, within: float) -> OrderChanges | None:
        """The changes past ``after_version``, as soon as there are any; ``None`` after
        ``within`` seconds without one. Nothing committed while following is missed."""


class OrderChangeFeed(Protocol):
    """Tells a follower what changed in an order, in this process or any other one sharing
    the database (docs/adr/0065)."""

    def follow(self, order_id: str) -> AbstractContextManager[OrderFollower]:
        """Follow the order from now until the block ends."""


@dataclass(frozen=True)
class RedrivePolicy:
    """When an order still awaiting an answer asks again (or stops waiting for its payment),
    and how many orders per pass."""

    schedule: RedriveSchedule
    batch_size: int = 100
