"""The Order aggregate: owns the saga's state machine of the public contract (v1.1).

    PENDING --StockReserved--> PENDING, awaiting PAYMENT (PaymentRequested)
    PENDING --PaymentAuthorized--> CONFIRMED --ship--> SHIPPED --deliver--> DELIVERED
    PENDING --StockRejected--> REJECTED (nothing reserved, nothing charged)
    PENDING --PaymentDeclined, or no answer by the deadline--> REJECTED (reservation released)
    PENDING or CONFIRMED --cancel--> CANCELLED (reservation released, authorization voided)

Replies may come late, twice, or after the client cancelled (the broker is at-least-once and
the saga re-drives waiting orders). Such replies never move a final order; a reservation or an
authorization that arrives for an order which can no longer use it asks again for the release
(and the void), so nothing stays held or charged for a dead order.

Every request (reserve, pay, release) stays "awaiting" until it is answered; an order quiet for
too long asks again (re-drive), because the request or its answer may have been lost with the
broker's log, less and less often (``RedriveSchedule``). An order never waits for its payment
beyond the schedule's ``payment_deadline``: then it is rejected ``PAYMENT_UNAVAILABLE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from commerce.kernel.domain import AggregateRoot, Conflict, DomainEvent
from commerce.order.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    PaymentRequested,
    RequestedLine,
)
from commerce.order.domain.lines import (
    OrderLine,
    PricedLine,
    price_lines,
    requested_lines,
    total_of,
)
from commerce.order.domain.payment import INVOICE, PaymentChoice, PaymentStatus, follows
from commerce.order.domain.redrive import RedriveSchedule
from commerce.order.domain.shipment import Shipment


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


FINAL_STATUSES = frozenset({OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.DELIVERED})
CANCELLABLE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})
# An order in one of these holds its units against its owner's cap (ADR 0063): CONFIRMED
# keeps its stock until it ships or is cancelled; SHIPPED and DELIVERED gave it up.
HOLDING_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})
# The reason of an order whose payment got no answer by the deadline (as the contract's).
PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"


class Awaiting(StrEnum):
    """The answer the order still waits for."""

    RESERVATION = "RESERVATION"  # StockReserved or StockRejected, after OrderPlaced
    PAYMENT = "PAYMENT"  # PaymentAuthorized or PaymentDeclined, after PaymentRequested
    RELEASE = "RELEASE"  # StockReleased, after OrderCancelled or a post-reservation OrderRejected


class Reply(StrEnum):
    """What a reply did to the order."""

    APPLIED = "applied"  # the order moved (or its release was acknowledged)
    IGNORED = "ignored"  # a duplicate or a late reply: nothing to do
    COMPENSATED = "compensated"  # a reservation or authorization the order cannot use: released
    RECORDED = "recorded"  # the payment's state was noted; the order's status did not move


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"


class OrderNotShippable(Conflict):
    code = "order_not_shippable"


class OrderNotDeliverable(Conflict):
    code = "order_not_deliverable"


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
        payment: PaymentChoice = INVOICE,
        payment_status: PaymentStatus = PaymentStatus.PENDING,
        payment_requested_at: datetime | None = None,
        shipment: Shipment | None = None,
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
        self.payment = payment
        self.payment_status = payment_status
        self.payment_requested_at = payment_requested_at
        self.shipment = shipment
        self.awaiting = awaiting
        self.created_at = created_at
        self.updated_at = updated_at
        self.last_published_at = last_published_at or created_at
        self.publish_count = publish_count
        self.version = version

    @classmethod
    def place(
        cls,
        *,
        order_id: str,
        user_id: str,
        lines: Sequence[tuple[str, int]],
        now: datetime,
        payment: PaymentChoice = INVOICE,
    ) -> Order:
        """A new PENDING order; asks the catalog to reserve its lines."""
        order = cls(
            id=order_id,
            user_id=user_id,
            lines=requested_lines(lines),
            status=OrderStatus.PENDING,
            payment=payment,
            created_at=now,
            updated_at=now,
        )
        order._send(Awaiting.RESERVATION, now, again=False)
        return order

    def stored(self) -> None:
        """The repository wrote this version: the next save expects the one after it."""
        self.version += 1

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

    # --- the catalog's replies ---------------------------------------------------------------

    def stock_reserved(self, priced: Iterable[PricedLine], now: datetime) -> Reply:
        """The catalog reserved every line at these prices: the payment is asked for next."""
        if self.status is OrderStatus.PENDING:
            if self.awaiting is not Awaiting.RESERVATION:
                return Reply.IGNORED  # a repeated answer: the payment is asked for already
            self.lines = price_lines(self.lines, priced)
            self.updated_at = now
            self.payment_requested_at = now
            self._send(Awaiting.PAYMENT, now, again=False)
            return Reply.APPLIED
        if self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            # Ended meanwhile: whatever was just reserved must go back.
            self._send(Awaiting.RELEASE, now, again=False)
            return Reply.COMPENSATED
        return Reply.IGNORED

    def reject(self, reason: str, now: datetime) -> Reply:
        """The catalog reserved nothing (StockRejected): nothing to release, nothing to pay."""
        if self.status is not OrderStatus.PENDING or self.awaiting is not Awaiting.RESERVATION:
            return Reply.IGNORED
        self.reason = reason
        self.awaiting = None
        self._move(OrderStatus.REJECTED, now)
        self.record(OrderRejected(order_id=self.id, reason=reason, occurred_at=now))
        return Reply.APPLIED

    def release_confirmed(self) -> Reply:
        """The catalog released what it held for this order (maybe nothing)."""
        if self.awaiting is not Awaiting.RELEASE:
            return Reply.IGNORED
        self.awaiting = None
        return Reply.APPLIED

    # --- the payment service's replies ----------------------------------------------------

    def authorize(self, now: datetime) -> Reply:
        """The payment service authorized the amount: the order is CONFIRMED."""
        noted = self._note_payment(PaymentStatus.AUTHORIZED, now)
        if self._awaits_payment:
            self.awaiting = None
            self._move(OrderStatus.CONFIRMED, now)
            self.record(OrderConfirmed(order_id=self.id, total=self.total or 0, occurred_at=now))
            return Reply.APPLIED
        if noted and self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            # Too late for this order: ask again for the release, on which the payment
            # service also voids (the first request may be gone with the broker's log).
            self._send(Awaiting.RELEASE, now, again=False)
            return Reply.COMPENSATED
        return Reply.RECORDED if noted else Reply.IGNORED

    def decline(self, reason: str, now: datetime) -> Reply:
        """The payment service declined (or its provider never answered)."""
        noted = self._note_payment(PaymentStatus.DECLINED, now)
        if self._awaits_payment:
            self._reject_reserved(reason, now)
            return Reply.APPLIED
        return Reply.RECORDED if noted else Reply.IGNORED

    def payment_reported(self, status: PaymentStatus, now: datetime) -> Reply:
        """Captured, voided or refunded: the payment moved; the order's status does not."""
        return Reply.RECORDED if self._note_payment(status, now) else Reply.IGNORED

    # --- the customer's and staff's commands ----------------------------------------------

    def cancel(self, now: datetime) -> None:
        """The owner gives up the order: any reservation released, any authorization voided."""
        if self.status not in CANCELLABLE_STATUSES:
            raise OrderNotCancellable(f"The order is already {self.status.value}.")
        self._move(OrderStatus.CANCELLED, now)
        self._send(Awaiting.RELEASE, now, again=False)

    def ship(self, carrier: str, tracking_number: str, now: datetime) -> None:
        """Staff handed a CONFIRMED order to a carrier; the payment is captured."""
        if self.status is not OrderStatus.CONFIRMED:
            raise OrderNotShippable(
                f"Only a CONFIRMED order ships; this one is {self.status.value}."
            )
        self.shipment = Shipment(carrier, tracking_number, shipped_at=now)
        self._move(OrderStatus.SHIPPED, now)
        self.record(
            OrderShipped(
                order_id=self.id, carrier=carrier, tracking_number=tracking_number, occurred_at=now
            )
        )

    def deliver(self, now: datetime) -> None:
        """The carrier delivered a SHIPPED order."""
        if self.status is not OrderStatus.SHIPPED or self.shipment is None:
            raise OrderNotDeliverable(
                f"Only a SHIPPED order is delivered; this one is {self.status.value}."
            )
        self.shipment = replace(self.shipment, delivered_at=now)
        self._move(OrderStatus.DELIVERED, now)
        self.record(OrderDelivered(order_id=self.id, occurred_at=now))

    # --- re-drive and the payment deadline ------------------------------------------------

    def payment_overdue(self, now: datetime, schedule: RedriveSchedule) -> bool:
        """Waited for the payment service's answer beyond the deadline."""
        return (
            self._awaits_payment
            and self.payment_requested_at is not None
            and now - self.payment_requested_at >= schedule.payment_deadline
        )

    def is_due_for_redrive(
        self, now: datetime, schedule: RedriveSchedule, *, backlog: timedelta = timedelta(0)
    ) -> bool:
        """Still waiting for an answer, and quiet long enough to ask again (or to stop
        waiting for the payment); ``backlog`` is how late answers come now, waited on top."""
        if self.awaiting is None:
            return False
        if self.payment_overdue(now, schedule):
            return True
        return now - backlog - self.last_published_at >= schedule.wait(self.publish_count)

    def redrive(self, now: datetime, schedule: RedriveSchedule) -> None:
        """Ask again (the request, or its answer, may have been lost); an order whose payment
        is overdue is rejected ``PAYMENT_UNAVAILABLE`` instead, and its reservation released."""
        if self.payment_overdue(now, schedule):
            self._reject_reserved(PAYMENT_UNAVAILABLE, now)
        elif self.awaiting is not None:
            self._send(self.awaiting, now, again=True)

    # --- internals ------------------------------------------------------------------------

    @property
    def _awaits_payment(self) -> bool:
        return self.status is OrderStatus.PENDING and self.awaiting is Awaiting.PAYMENT

    def _reject_reserved(self, reason: str, now: datetime) -> None:
        # The stock is reserved: OrderRejected asks the catalog to release it (and the payment
        # service to void), and is awaited like a cancellation's release.
        self.reason = reason
        self._move(OrderStatus.REJECTED, now)
        self._send(Awaiting.RELEASE, now, again=False)

    def _note_payment(self, status: PaymentStatus, now: datetime) -> bool:
        if not follows(self.payment_status, status):
            return False  # repeated, or older than what we know
        self.payment_status = status
        self.updated_at = now
        return True

    def _send(self, request: Awaiting, now: datetime, *, again: bool) -> None:
        # publish_count counts the sends of the current request: the first one is 1.
        self.awaiting = request
        self.last_published_at = now
        self.publish_count = self.publish_count + 1 if again else 1
        self.record(self._request_event(request, now))

    def _request_event(self, request: Awaiting, now: datetime) -> DomainEvent:
        if request is Awaiting.RELEASE:
            if self.status is OrderStatus.REJECTED:
                assert self.reason is not None
                return OrderRejected(order_id=self.id, reason=self.reason, occurred_at=now)
            return OrderCancelled(order_id=self.id, occurred_at=now)
        if request is Awaiting.PAYMENT:
            return PaymentRequested(
                order_id=self.id,
                user_id=self.user_id,
                amount=self.total or 0,
                method=self.payment.method.value,
                token=self.payment.token,
                occurred_at=now,
            )
        requested = tuple(
            RequestedLine(product_id=line.product_id, quantity=line.quantity) for line in self.lines
        )
        return OrderPlaced(order_id=self.id, user_id=self.user_id, lines=requested, occurred_at=now)

    def _move(self, status: OrderStatus, now: datetime) -> None:
        self.status = status
        self.updated_at = now
