"""PENDING orders older than a threshold, with the saga step they wait at (operations console).

A read straight from the tables, oldest first (the longest stuck on top), keyset-paged by
``(created_at, id)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.kernel.pagination import decode_keyset, encode_keyset
from commerce.kernel.ports import Clock
from commerce.order.adapters.outbound.tables import orders
from commerce.order.domain.order import Awaiting, OrderStatus

WaitingFor = Literal["stock", "payment"]


@dataclass(frozen=True)
class StuckOrder:
    id: str
    user_id: str
    status: str
    waiting_for: WaitingFor
    created_at: datetime
    age_seconds: float


@dataclass(frozen=True)
class StuckOrdersPage:
    items: list[StuckOrder]
    next_cursor: str | None


def waiting_for(awaiting: str | None, total: int | None) -> WaitingFor:
    """Not yet priced and reserved: stock; reserved, not yet paid: payment."""
    if awaiting == Awaiting.PAYMENT.value:
        return "payment"
    if awaiting == Awaiting.RESERVATION.value or total is None:
        return "stock"
    return "payment"


class SqlaStuckOrders:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def list(
        self, *, older_than: timedelta, limit: int, cursor: str | None
    ) -> StuckOrdersPage:
        now = self._clock()
        query = (
            select(orders.c.id, orders.c.user_id, orders.c.status, orders.c.awaiting)
            .add_columns(orders.c.total, orders.c.created_at)
            .where(
                orders.c.status == OrderStatus.PENDING.value,
                orders.c.created_at < now - older_than,
            )
            .order_by(orders.c.created_at, orders.c.id)
            .limit(limit + 1)
        )
        after = decode_keyset(cursor)
        if after is not None:
            at, key = after
            query = query.where(
                or_(orders.c.created_at > at, and_(orders.c.created_at == at, orders.c.id > key))
            )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        items = [
            StuckOrder(
                id=row.id,
                user_id=row.user_id,
                status=row.status,
                waiting_for=waiting_for(row.awaiting, row.total),
                created_at=row.created_at,
                age_seconds=(now - row.created_at).total_seconds(),
            )
            for row in rows[:limit]
        ]
        last = items[-1] if len(rows) > limit else None
        return StuckOrdersPage(
            items, None if last is None else encode_keyset(last.created_at, last.id)
        )
