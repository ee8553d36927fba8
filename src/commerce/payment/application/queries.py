"""Reads for staff: a payment and its history, straight from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commerce.kernel.domain import Forbidden, NotFound
from commerce.kernel.roles import Role


@dataclass(frozen=True)
class HistoryView:
    status: str
    amount: int
    at: datetime


@dataclass(frozen=True)
class PaymentView:
    id: str
    order_id: str
    user_id: str
    amount: int
    method: str
    status: str
    reason: str | None
    created_at: datetime
    updated_at: datetime
    history: tuple[HistoryView, ...]


class PaymentQueries(Protocol):
    async def for_order(self, order_id: str) -> PaymentView | None:
        """The payment of the order, with its history oldest first."""


class PaymentReader:
    """Payments are read by fulfilment staff only."""

    def __init__(self, queries: PaymentQueries) -> None:
        self._queries = queries

    async def for_order(self, roles: tuple[str, ...], order_id: str) -> PaymentView:
        if Role.STAFF not in roles:
            raise Forbidden("Only staff may read payments.")
        view = await self._queries.for_order(order_id)
        if view is None:
            raise NotFound(f"No payment for order {order_id}.")
        return view
