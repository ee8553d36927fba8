"""Client reads straight from the tables: one order, or a keyset page of a user's orders (or
of everyone's, for STAFF)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from commerce.kernel.pagination import decode_keyset, encode_keyset
from commerce.order.adapters.outbound.tables import order_lines, orders
from commerce.order.application.views import (
    OrderLineView,
    OrderPage,
    OrderSnapshot,
    OrderView,
    PaymentView,
    ShipmentView,
)
from commerce.order.domain.order import OrderStatus


class SqlaOrderQueries:
    """Reads on a plain connection: Core statements need no ORM session (cheaper per read)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, order_id: str) -> OrderView | None:
        snapshot = await self.snapshot(order_id)
        return None if snapshot is None else snapshot.order

    async def snapshot(self, order_id: str) -> OrderSnapshot | None:
        # One transaction for the row and its lines: the version belongs to what is shown.
        async with self._engine.connect() as session:
            row = (await session.execute(select(orders).where(orders.c.id == order_id))).first()
            if row is None:
                return None
            return OrderSnapshot(row.version, (await _views(session, [row._mapping]))[0])

    async def list_for_user(
        self, user_id: str, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return await self._page(
            select(orders).where(orders.c.user_id == user_id), limit, cursor, status
        )

    async def list_all(
        self, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return await self._page(select(orders), limit, cursor, status)

    async def _page(
        self, query: Select[Any], limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        if status is not None:
            query = query.where(orders.c.status == status.value)
        # The kernel turns any cursor we could not have issued into a 422 about the cursor.
        position = decode_keyset(cursor)
        if position is not None:
            created_at, order_id = position
            query = query.where(
                or_(
                    orders.c.created_at < created_at,
                    and_(orders.c.created_at == created_at, orders.c.id < order_id),
                )
            )
        query = query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit + 1)
        async with self._engine.connect() as session:
            rows = [row._mapping for row in await session.execute(query)]
            views = await _views(session, rows[:limit])
        next_cursor = None
        if len(rows) > limit:
            last = views[-1]
            next_cursor = encode_keyset(last.created_at, last.id)
        return OrderPage(items=tuple(views), next_cursor=next_cursor)


async def _views(session: AsyncConnection, rows: Sequence[RowMapping]) -> list[OrderView]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    lines: dict[str, list[OrderLineView]] = defaultdict(list)
    result = await session.execute(
        select(order_lines)
        .where(order_lines.c.order_id.in_(ids))
        .order_by(order_lines.c.order_id, order_lines.c.line_no)
    )
    for line in result:
        lines[line.order_id].append(OrderLineView(line.product_id, line.quantity, line.unit_price))
    return [
        OrderView(
            id=row["id"],
            user_id=row["user_id"],
            status=row["status"],
            items=tuple(lines[row["id"]]),
            total=row["total"],
            reason=row["reason"],
            payment=PaymentView(row["payment_method"], row["payment_status"]),
            shipment=None
            if row["shipped_at"] is None
            else ShipmentView(
                row["shipment_carrier"],
                row["shipment_tracking_number"],
                row["shipped_at"],
                row["delivered_at"],
            ),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for row in rows
    ]
