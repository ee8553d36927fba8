"""Reads for clients: they skip the domain and come straight from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from commerce.kernel.pagination import DEFAULT_LIMIT, decode_keyset, encode_keyset
from commerce.product.domain.errors import ProductNotFound


@dataclass(frozen=True)
class ProductView:
    id: str
    seller_id: str
    name: str
    description: str
    price: int
    stock: int
    sku: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Position:
    """A place in the newest-first order: (created_at, id) of the last item shown."""

    created_at: datetime
    id: str


@dataclass(frozen=True)
class ProductPage:
    items: list[ProductView]
    next_cursor: str | None


class ProductQueries(Protocol):
    async def get(self, product_id: str) -> ProductView | None:
        """One product, or None."""

    async def page(
        self, *, limit: int, after: Position | None, q: str | None, seller_id: str | None = None
    ) -> list[ProductView]:
        """Up to ``limit`` products after ``after``, newest first, whose name contains ``q``
        (case-insensitive, taken literally: ``%`` and ``_`` are no wildcards) and, when
        ``seller_id`` is given, that this seller lists."""


def _position(cursor: str | None) -> Position | None:
    # The kernel turns any cursor we could not have issued into a 422 about the cursor.
    position = decode_keyset(cursor)
    return None if position is None else Position(*position)


class ProductReader:
    """The clients' reads of the catalog."""

    def __init__(self, queries: ProductQueries) -> None:
        self._queries = queries

    async def get(self, product_id: str) -> ProductView:
        product = await self._queries.get(product_id)
        if product is None:
            raise ProductNotFound(product_id)
        return product

    async def list(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        q: str | None = None,
        seller_id: str | None = None,
    ) -> ProductPage:
        """A keyset page: products inserted while a client pages never shift what it sees."""
        search = q.strip() if q else None
        # One extra row tells whether another page exists without a COUNT.
        rows = await self._queries.page(
            limit=limit + 1, after=_position(cursor), q=search or None, seller_id=seller_id
        )
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_keyset(last.created_at, last.id)
        return ProductPage(items=items, next_cursor=next_cursor)
