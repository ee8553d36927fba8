"""Reads of the order service: one order for its owner, a page of the caller's orders."""

from __future__ import annotations

from commerce.order.application.errors import OrderNotFound
from commerce.order.application.ports import OrderQueries
from commerce.order.application.views import OrderPage, OrderView
from commerce.order.domain.order import OrderStatus


class OrderReader:
    def __init__(self, queries: OrderQueries) -> None:
        self._queries = queries

    async def get(self, user_id: str, order_id: str) -> OrderView:
        order = await self._queries.get(order_id)
        # Another user's order answers exactly like a missing one.
        if order is None or order.user_id != user_id:
            raise OrderNotFound()
        return order

    async def list(
        self, user_id: str, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return await self._queries.list_for_user(user_id, limit=limit, cursor=cursor, status=status)
