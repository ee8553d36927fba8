"""Reads of the order service: one order for its owner (or STAFF), a page of the caller's
orders, or of every customer's for STAFF."""

from __future__ import annotations

from commerce.order.application.errors import NotStaff, OrderNotFound
from commerce.order.application.ports import OrderQueries
from commerce.order.application.views import OrderPage, OrderSnapshot, OrderView
from commerce.order.domain.order import OrderStatus


class OrderReader:
    def __init__(self, queries: OrderQueries) -> None:
        self._queries = queries

    async def get(self, user_id: str, order_id: str, *, staff: bool = False) -> OrderView:
        return (await self.snapshot(user_id, order_id, staff=staff)).order

    async def snapshot(self, user_id: str, order_id: str, *, staff: bool = False) -> OrderSnapshot:
        """The order with its version, under the same rule as :meth:`get`."""
        snapshot = await self._queries.snapshot(order_id)
        # Another user's order answers exactly like a missing one (unless the caller is STAFF).
        if snapshot is None or (snapshot.order.user_id != user_id and not staff):
            raise OrderNotFound()
        return snapshot

    async def list(
        self, user_id: str, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return await self._queries.list_for_user(user_id, limit=limit, cursor=cursor, status=status)

    async def list_all(
        self, *, staff: bool, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        """Every customer's orders: STAFF only."""
        if not staff:
            raise NotStaff()
        return await self._queries.list_all(limit=limit, cursor=cursor, status=status)
