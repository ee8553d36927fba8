"""Reads of payments for staff, straight from the tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.payment.adapters.outbound.tables import payment_history, payments
from commerce.payment.application.queries import HistoryView, PaymentView


class SqlaPaymentQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def for_order(self, order_id: str) -> PaymentView | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(payments).where(payments.c.order_id == order_id))
            ).first()
            if row is None:
                return None
            history = await connection.execute(
                select(payment_history)
                .where(payment_history.c.payment_id == row.id)
                .order_by(payment_history.c.seq)
            )
            entries = tuple(HistoryView(h.status, h.amount, h.at) for h in history)
        return PaymentView(
            id=row.id,
            order_id=row.order_id,
            user_id=row.user_id,
            amount=row.amount,
            method=row.method,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            history=entries,
        )
