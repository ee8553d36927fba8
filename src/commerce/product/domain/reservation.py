"""The Reservation aggregate: what the catalog holds for one order, recorded per order.

Keeping it per order (not only per event) is what makes the saga safe to re-drive: the
order service may publish ``OrderPlaced`` again with a new event id, and the answer must be
the same as the first time, without touching stock twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from commerce.kernel.domain import AggregateRoot
from commerce.kernel.money import Money
from commerce.product.domain.events import (
    RejectionReason,
    ReservedLine,
    StockRejected,
    StockReleased,
    StockReserved,
)

# The widest order id a reservation records (the order service's ids are 36-character UUIDs).
MAX_ORDER_ID_LENGTH = 64


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"  # every line is held
    REJECTED = "REJECTED"  # nothing was held
    RELEASED = "RELEASED"  # was held, given back after the order was cancelled
    CANCELLED = "CANCELLED"  # the order was cancelled before we saw it: a tombstone


class Reservation(AggregateRoot):
    def __init__(
        self,
        *,
        order_id: str,
        status: ReservationStatus,
        lines: Iterable[ReservedLine] = (),
        reason: RejectionReason | None = None,
        rejected_product_ids: Iterable[str] = (),
        created_at: datetime,
        updated_at: datetime,
    ) -> None:
        super().__init__()
        self.order_id = order_id
        self.status = status
        self.lines = tuple(sorted(lines, key=lambda line: line.product_id))
        self.reason = reason
        self.rejected_product_ids = tuple(rejected_product_ids)
        self.created_at = created_at
        self.updated_at = updated_at

    @classmethod
    def reserved(
        cls, order_id: str, lines: Iterable[ReservedLine], *, now: datetime
    ) -> Reservation:
        reservation = cls(
            order_id=order_id,
            status=ReservationStatus.RESERVED,
            lines=lines,
            created_at=now,
            updated_at=now,
        )
        reservation.announce(now)
        return reservation

    @classmethod
    def rejected(
        cls, order_id: str, reason: RejectionReason, product_ids: Iterable[str], *, now: datetime
    ) -> Reservation:
        reservation = cls(
            order_id=order_id,
            status=ReservationStatus.REJECTED,
            reason=reason,
            rejected_product_ids=sorted(set(product_ids)),
            created_at=now,
            updated_at=now,
        )
        reservation.announce(now)
        return reservation

    @classmethod
    def tombstone(cls, order_id: str, *, now: datetime) -> Reservation:
        """The order was cancelled before it was placed here: a late placement reserves nothing."""
        reservation = cls(
            order_id=order_id,
            status=ReservationStatus.CANCELLED,
            created_at=now,
            updated_at=now,
        )
        reservation.record(StockReleased(order_id=order_id, occurred_at=now))
        return reservation

    @property
    def total(self) -> int:
        return Money.sum(Money(line.amount) for line in self.lines).amount

    @property
    def holds_stock(self) -> bool:
        return self.status is ReservationStatus.RESERVED

    def announce(self, now: datetime) -> None:
        """Record (again) the outcome of placing the order.

        A re-driven ``OrderPlaced`` gets the very answer of the first one. A cancelled order
        gets nothing: its ``StockReleased`` was already sent when it was cancelled.
        """
        if self.status is ReservationStatus.RESERVED:
            self.record(StockReserved(order_id=self.order_id, lines=self.lines, occurred_at=now))
        elif self.status is ReservationStatus.REJECTED:
            assert self.reason is not None
            self.record(
                StockRejected(
                    order_id=self.order_id,
                    reason=self.reason,
                    product_ids=self.rejected_product_ids,
                    occurred_at=now,
                )
            )

    def release(self, now: datetime) -> tuple[ReservedLine, ...]:
        """Stop holding stock for a cancelled order; returns what to give back (once only).

        Every call acknowledges with ``StockReleased``, so a repeated cancellation gets the
        same answer; only the first one of a reserved order returns lines.
        """
        self.record(StockReleased(order_id=self.order_id, occurred_at=now))
        if self.status is not ReservationStatus.RESERVED:
            return ()
        self.status = ReservationStatus.RELEASED
        self.updated_at = now
        return self.lines
