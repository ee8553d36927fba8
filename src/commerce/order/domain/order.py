"""The Order aggregate: owns the saga's state machine of the public contract.

    PENDING --StockReserved--> CONFIRMED --cancel--> CANCELLED
    PENDING --StockRejected--> REJECTED
    PENDING --cancel--> CANCELLED

Catalog replies may come late, twice, or after the client cancelled (the broker is
at-least-once and the saga re-drives pending orders). Such replies never move a final order;
a reservation that arrives for an order which can no longer use it asks the catalog to
release it again, so no stock stays held by a dead order.

Every request to the catalog (reserve, release) stays "awaiting" until the catalog answered
it; an order quiet for too long asks again (re-drive), because the first request or its
answer may have been lost with the broker's log, less and less often (``RedriveSchedule``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.kernel.domain import AggregateRoot, Conflict
from commerce.order.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderRejected,
    RequestedLine,
)
from commerce.order.domain.lines import (
    OrderLine,
    PricedLine,
    price_lines,
    requested_lines,
    total_of,
)


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


FINAL_STATUSES = frozenset({OrderStatus.REJECTED, OrderStatus.CANCELLED})
# An order in one of these holds its units against its owner's cap (ADR 0063): CONFIRMED
# keeps its stock until it ships or is cancelled. A later status that gives the stock up
# (SHIPPED) stays out of this set, and its order stops holding.
HOLDING_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})


class Awaiting(StrEnum):
    """The catalog's answer the order still waits for."""

    RESERVATION = "RESERVATION"  # StockReserved or StockRejected, after OrderPlaced
    RELEASE = "RELEASE"  # StockReleased, after OrderCancelled


class Reply(StrEnum):
    """What a catalog reply did to the order."""

    APPLIED = "applied"
    IGNORED = "ignored"  # a duplicate or a late reply: nothing to do
    COMPENSATED = "compensated"  # a reservation the order cannot use: released again


@dataclass(frozen=True)
class RedriveSchedule:
    """How long an order waits for the catalog's answer before it asks again.

    ``after`` follows the first request; the first repetition waits ``interval``, and each
    further one twice as long as the one before, up to ``max_interval``: a catalog that is
    down for long is asked less and less often, never less than once per ``max_interval``.
    """

    after: timedelta
    interval: timedelta
    max_interval: timedelta

    def wait(self, publish_count: int) -> timedelta:
        """The quiet time after the ``publish_count``-th send of a request."""
        if publish_count <= 1:
            return self.after
        wait = min(self.interval, self.max_interval)
        for _ in range(publish_count - 2):  # stops at the cap: no huge powers of two
            if wait >= self.max_interval or wait <= timedelta(0):
                break
            wait = min(wait * 2, self.max_interval)
        return wait

    def steps(self) -> tuple[tuple[int, timedelta], ...]:
        """``(publish_count, wait)`` for each count whose wait differs from the previous
        count's, from 1 on; the last one holds for every higher count (for queries)."""
        steps = [(1, self.after), (2, self.wait(2))]
        while True:
            count = steps[-1][0] + 1
            wait = self.wait(count)
            if wait == steps[-1][1]:
                return tuple(steps)
            steps.append((count, wait))


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"


class Order(AggregateRoot):
    def __init__(
        self,
        *,
        id: str,
        user_id: str,
        lines: Sequence[OrderLine],
        status: OrderStatus,
        created_at: datetime,
        updated_at: datetime,
        reason: str | None = None,
        awaiting: Awaiting | None = None,
        last_published_at: datetime | None = None,
        publish_count: int = 0,
        version: int = 0,
    ) -> None:
        super().__init__()
        self.id = id
        self.user_id = user_id
        self.lines = tuple(lines)
        self.status = status
        self.reason = reason
        self.awaiting = awaiting
        self.created_at = created_at
        self.updated_at = updated_at
        self.last_published_at = last_published_at or created_at
        self.publish_count = publish_count
        self.version = version

    @classmethod
    def place(
        cls, *, order_id: str, user_id: str, lines: Sequence[tuple[str, int]], now: datetime
    ) -> Order:
        """A new PENDING order; asks the catalog to reserve its lines."""
        order = cls(
            id=order_id,
            user_id=user_id,
            lines=requested_lines(lines),
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        order._request_reservation(now)
        return order

    @property
    def total(self) -> int | None:
        """Only a priced order has a total; prices come from the catalog alone."""
        return total_of(self.lines)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def held_units(self) -> int:
        """The units this order holds against its owner's cap: all of them, or none."""
        if self.status not in HOLDING_STATUSES:
            return 0
        return sum(line.quantity for line in self.lines)

    def confirm(self, priced: Iterable[PricedLine], now: datetime) -> Reply:
        """The catalog reserved every line at these prices."""
        if self.status is OrderStatus.PENDING:
            self.lines = price_lines(self.lines, priced)
            self.awaiting = None
            self._move(OrderStatus.CONFIRMED, now)
            self.record(OrderConfirmed(order_id=self.id, total=self.total or 0, occurred_at=now))
            return Reply.APPLIED
        if self.status is OrderStatus.CONFIRMED:
            return Reply.IGNORED
        # Cancelled or rejected meanwhile: whatever was just reserved must go back.
        self._request_release(now)
        return Reply.COMPENSATED

    def reject(self, reason: str, now: datetime) -> Reply:
        """The catalog reserved nothing."""
        if self.status is not OrderStatus.PENDING:
            # A confirmed order keeps its reservation; a final one stays as it is.
            return Reply.IGNORED
        self.reason = reason
        self.awaiting = None
        self._move(OrderStatus.REJECTED, now)
        self.record(OrderRejected(order_id=self.id, reason=reason, occurred_at=now))
        return Reply.APPLIED

    def cancel(self, now: datetime) -> None:
        """The owner gives up the order; the catalog releases any reservation."""
        if self.is_final:
            raise OrderNotCancellable(f"The order is already {self.status.value}.")
        self._move(OrderStatus.CANCELLED, now)
        self._request_release(now)

    def release_confirmed(self) -> Reply:
        """The catalog released what it held for this order (maybe nothing)."""
        if self.awaiting is not Awaiting.RELEASE:
            return Reply.IGNORED
        self.awaiting = None
        return Reply.APPLIED

    def is_due_for_redrive(self, now: datetime, schedule: RedriveSchedule) -> bool:
        """Still waiting for the catalog, and quiet long enough to ask again."""
        if self.awaiting is None:
            return False
        return now - self.last_published_at >= schedule.wait(self.publish_count)

    def redrive(self, now: datetime) -> None:
        """Ask the catalog again (the first request, or its answer, may have been lost)."""
        if self.awaiting is not None:
            self._send(self.awaiting, now, again=True)

    def _request_reservation(self, now: datetime) -> None:
        self._send(Awaiting.RESERVATION, now, again=False)

    def _request_release(self, now: datetime) -> None:
        self._send(Awaiting.RELEASE, now, again=False)

    def _send(self, request: Awaiting, now: datetime, *, again: bool) -> None:
        # publish_count counts the sends of the current request: the first one is 1.
        self.awaiting = request
        self.last_published_at = now
        self.publish_count = self.publish_count + 1 if again else 1
        if request is Awaiting.RELEASE:
            self.record(OrderCancelled(order_id=self.id, occurred_at=now))
            return
        requested = tuple(
            RequestedLine(product_id=line.product_id, quantity=line.quantity) for line in self.lines
        )
        self.record(
            OrderPlaced(order_id=self.id, user_id=self.user_id, lines=requested, occurred_at=now)
        )

    def _move(self, status: OrderStatus, now: datetime) -> None:
        self.status = status
        self.updated_at = now
