"""Payments as whole aggregates over ``payments`` and ``payment_history``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select, union, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from commerce.kernel.batching import batch_keys
from commerce.kernel.db.shared_transaction import KeysFoundAhead, SharedTransaction
from commerce.kernel.repository import TrackingRepository
from commerce.payment.adapters.outbound.tables import payment_history, payments, withdrawn_orders
from commerce.payment.application.ports import StalePayment
from commerce.payment.domain.payment import (
    DeclineReason,
    HistoryEntry,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Step,
)

_SAVE = update(payments).where(
    payments.c.id == bindparam("b_id"), payments.c.version == bindparam("b_version")
)
# One row whether or not either exists: a new request reads both in one round trip.
_PAYMENT_OR_WITHDRAWAL = select(
    select(payments.c.id)
    .where(payments.c.order_id == bindparam("b_order_id"))
    .scalar_subquery()
    .label("payment_id"),
    exists().where(withdrawn_orders.c.order_id == bindparam("b_order_id")).label("withdrawn"),
)
# Which of a batch's orders (its keys) have a payment or were withdrawn: one read a batch.
_KNOWN_AMONG = union(
    select(payments.c.order_id).where(payments.c.order_id.in_(bindparam("b_keys", expanding=True))),
    select(withdrawn_orders.c.order_id).where(
        withdrawn_orders.c.order_id.in_(bindparam("b_keys", expanding=True))
    ),
)
_HISTORY = (
    select(payment_history)
    .where(payment_history.c.payment_id == bindparam("b_id"))
    .order_by(payment_history.c.seq)
)


class PendingPayments:
    """The payments a consumer batch created, inserted together (payments, then their
    history) just before it commits, as each stands then (docs/adr/0047). Later messages of
    the batch find them here. A second payment for an order fails the batch's insert on the
    unique order id; the batch is then applied message by message.

    Also which of the batch's orders (its messages are keyed by order id) had a payment or a
    withdrawal before it, read in one statement at the batch's first payment request, and
    the withdrawals the batch itself recorded since (that read may predate them)."""

    def __init__(self) -> None:
        self.by_order: dict[str, Payment] = {}
        self.known_before = KeysFoundAhead(batch_keys(), _KNOWN_AMONG)
        self.withdrawn: set[str] = set()

    def with_id(self, payment_id: str) -> Payment | None:
        return next((p for p in self.by_order.values() if p.id == payment_id), None)

    async def write(self, session: AsyncConnection) -> None:
        if not self.by_order:
            return
        created = list(self.by_order.values())
        await session.execute(insert(payments), [_new_row(payment) for payment in created])
        history = [row for payment in created for row in _history_rows(payment, 0)]
        if history:
            await session.execute(insert(payment_history), history)


class SqlaPaymentRepository(TrackingRepository[Payment]):
    """Never commits; remembers the payments it handed out so the unit of work finds their
    events, and how much of each one's history is already stored."""

    def __init__(self, session: AsyncConnection, shared: SharedTransaction | None = None) -> None:
        super().__init__()
        self._session = session
        self._stored_history: dict[str, int] = {}
        # In a consumer batch, new payments wait there: two statements a batch, not a message.
        self._pending = None if shared is None else shared.writer(PendingPayments, PendingPayments)

    async def add(self, payment: Payment) -> None:
        self._track(payment)
        if self._pending is not None:
            self._pending.by_order[payment.order_id] = payment
            return
        await self._session.execute(insert(payments), _new_row(payment))
        self._stored_history[payment.id] = 0
        await self._write_history(payment)

    async def get(self, payment_id: str) -> Payment | None:
        pending = None if self._pending is None else self._pending.with_id(payment_id)
        if pending is not None:
            return pending
        return await self._load(payments.c.id == payment_id)

    async def for_order(self, order_id: str) -> Payment | None:
        pending = self._pending_for(order_id)
        if pending is not None:
            return pending
        return await self._load(payments.c.order_id == order_id)

    async def for_order_or_withdrawal(self, order_id: str) -> tuple[Payment | None, bool]:
        pending = self._pending_for(order_id)
        if pending is not None:
            return pending, await self.was_withdrawn(order_id)
        if await self._new_in_batch(order_id):
            return None, False  # the usual request in a batch: no read of its own
        row = (await self._session.execute(_PAYMENT_OR_WITHDRAWAL, {"b_order_id": order_id})).one()
        if row.payment_id is None:
            return None, bool(row.withdrawn)
        return await self.get(row.payment_id), bool(row.withdrawn)

    async def save(self, payment: Payment) -> None:
        if self._pending_for(payment.order_id) is payment:
            payment.stored()  # not inserted yet: the batch inserts it as it stands then
            return
        result = await self._session.execute(
            _SAVE,
            {
                **_values(payment),
                "version": payment.version + 1,
                "b_id": payment.id,
                "b_version": payment.version,
            },
        )
        if result.rowcount != 1:
            raise StalePayment(payment.id)
        payment.stored()
        await self._write_history(payment)

    async def _new_in_batch(self, order_id: str) -> bool:
        """In a batch: whether the order had neither a payment nor a withdrawal before the
        batch, and the batch recorded no withdrawal of it since (its payments are pending)."""
        batch = self._pending
        if batch is None or order_id in batch.withdrawn:
            return False
        return await batch.known_before.found(self._session, order_id) is False

    def _pending_for(self, order_id: str) -> Payment | None:
        return None if self._pending is None else self._pending.by_order.get(order_id)

    async def due(self, now: datetime, limit: int) -> Sequence[str]:
        rows = await self._session.execute(
            select(payments.c.id)
            .where(payments.c.next_step.is_not(None), payments.c.next_attempt_at <= now)
            .order_by(payments.c.next_attempt_at)
            .limit(limit)
        )
        return list(rows.scalars())

    async def remember_withdrawal(self, order_id: str, now: datetime) -> None:
        if not await self.was_withdrawn(order_id):
            await self._session.execute(insert(withdrawn_orders), {"order_id": order_id, "at": now})
            if self._pending is not None:
                self._pending.withdrawn.add(order_id)

    async def was_withdrawn(self, order_id: str) -> bool:
        found = await self._session.execute(
            select(withdrawn_orders.c.order_id).where(withdrawn_orders.c.order_id == order_id)
        )
        return found.first() is not None

    async def _load(self, where: Any) -> Payment | None:
        row = (await self._session.execute(select(payments).where(where))).first()
        if row is None:
            return None
        history = [
            HistoryEntry(PaymentStatus(entry.status), entry.amount, entry.at)
            for entry in await self._session.execute(_HISTORY, {"b_id": row.id})
        ]
        payment = _payment(row._mapping, history)
        self._stored_history[payment.id] = len(history)
        self._track(payment)
        return payment

    async def _write_history(self, payment: Payment) -> None:
        stored = self._stored_history.get(payment.id, 0)
        if stored == len(payment.history):
            return
        try:
            await self._session.execute(insert(payment_history), _history_rows(payment, stored))
        except IntegrityError as error:  # written by someone who saved the same version
            raise StalePayment(payment.id) from error
        self._stored_history[payment.id] = len(payment.history)


def _new_row(payment: Payment) -> dict[str, Any]:
    return {
        **_values(payment),
        "id": payment.id,
        "order_id": payment.order_id,
        "user_id": payment.user_id,
        "amount": payment.amount,
        "method": payment.method.value,
        "version": payment.version,
        "created_at": payment.created_at,
    }


def _history_rows(payment: Payment, stored: int) -> list[dict[str, Any]]:
    """The rows of the history entries after the first ``stored``."""
    return [
        {
            "payment_id": payment.id,
            "seq": seq,
            "status": entry.status.value,
            "amount": entry.amount,
            "at": entry.at,
        }
        for seq, entry in enumerate(payment.history[stored:], start=stored)
    ]


def _values(payment: Payment) -> dict[str, Any]:
    """The columns a payment's behaviour can change."""
    return {
        "token": payment.token,
        "status": payment.status.value,
        "reason": payment.reason.value if payment.reason else None,
        "provider_reference": payment.provider_reference,
        "withdrawn": payment.withdrawn,
        "next_step": payment.next_step.value if payment.next_step else None,
        "attempts": payment.attempts,
        "next_attempt_at": payment.next_attempt_at,
        "deadline": payment.deadline,
        "updated_at": payment.updated_at,
    }


def _payment(row: RowMapping, history: list[HistoryEntry]) -> Payment:
    return Payment(
        id=row["id"],
        order_id=row["order_id"],
        user_id=row["user_id"],
        amount=row["amount"],
        method=PaymentMethod(row["method"]),
        token=row["token"],
        status=PaymentStatus(row["status"]),
        reason=DeclineReason(row["reason"]) if row["reason"] else None,
        provider_reference=row["provider_reference"],
        withdrawn=bool(row["withdrawn"]),
        next_step=Step(row["next_step"]) if row["next_step"] else None,
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        deadline=row["deadline"],
        history=history,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def forget_withdrawals(engine: AsyncEngine, *, before: datetime) -> int:
    """Delete the withdrawals remembered before ``before``; how many were deleted."""
    async with engine.begin() as session:
        old = withdrawn_orders.c.at < before
        result = await session.execute(delete(withdrawn_orders).where(old))
    return int(result.rowcount or 0)
