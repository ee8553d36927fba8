"""Catalog reads straight from the table: keyset pages, newest first."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce.product.adapters.outbound.rows import product_fields
from commerce.product.adapters.outbound.tables import products
from commerce.product.application.queries import Position, ProductView

LIKE_ESCAPE = "\\"
# Built once: a statement made per call pays for its construction and its cache key.
_BY_ID = select(products).where(products.c.id == bindparam("product_id"))


def like_pattern(text: str) -> str:
    """``%text%`` with the user's ``%``, ``_`` and escape character taken literally."""
    escaped = (
        text.casefold()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


class SqlaProductQueries:
    """Reads on a plain connection: Core statements need no ORM session (cheaper per read)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, product_id: str) -> ProductView | None:
        if len(product_id) > products.c.id.type.length:  # type: ignore[attr-defined]
            return None
        async with self._engine.connect() as session:
            row = (await session.execute(_BY_ID, {"product_id": product_id})).first()
        return None if row is None else ProductView(**product_fields(row))

    async def page(
        self, *, limit: int, after: Position | None, q: str | None, seller_id: str | None = None
    ) -> list[ProductView]:
        statement = (
            select(products)
            .order_by(products.c.created_at.desc(), products.c.id.desc())
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(
                or_(
                    products.c.created_at < after.created_at,
                    and_(products.c.created_at == after.created_at, products.c.id < after.id),
                )
            )
        if q:
            statement = statement.where(
                products.c.search_name.like(like_pattern(q), escape=LIKE_ESCAPE)
            )
        if seller_id is not None:
            statement = statement.where(products.c.seller_id == seller_id)
        async with self._engine.connect() as session:
            rows = (await session.execute(statement)).all()
        return [ProductView(**product_fields(row)) for row in rows]
