"""Reads for clients: they skip the domain and come straight from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from commerce.kernel.domain import InvalidInput
from commerce.kernel.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
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

    async def page(self, *, limit: int, after: Position | None, q: str | None) -> list[ProductView]:
        """Up to ``limit`` products after ``after``, newest first, whose name contains ``q``
        (case-insensitive, taken literally: ``%`` and ``_`` are no wildcards)."""


async def get_product(queries: ProductQueries, product_id: str) -> ProductView:
    product = await queries.get(product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


def _position(cursor: str | None) -> Position | None:
    data = decode_cursor(cursor)
    if data is None:
        return None
    try:
        created_at, product_id = datetime.fromisoformat(data["t"]), data["i"]
        # A cursor is client input: a naive time, or one that leaves datetime's range once
        # moved to UTC (year 1 at +14:00), would fail in the database type (a 500).
        if created_at.tzinfo is None or not isinstance(product_id, str):
            raise ValueError("not a cursor we issued")
        return Position(created_at=created_at.astimezone(UTC), id=product_id)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput("The cursor is not valid.", code="invalid_cursor") from exc


async def list_products(
    queries: ProductQueries,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    q: str | None = None,
) -> ProductPage:
    """A keyset page: products inserted while a client pages never shift what it sees."""
    search = q.strip() if q else None
    # One extra row tells whether another page exists without a COUNT.
    rows = await queries.page(limit=limit + 1, after=_position(cursor), q=search or None)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "i": last.id})
    return ProductPage(items=items, next_cursor=next_cursor)
