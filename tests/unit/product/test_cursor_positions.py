"""A catalog cursor is client input: anything but one we issued is a 422, never a 500.

Found by the contract fuzz (docs/adr/0090): a forged cursor with a naive time, or with a
time that leaves datetime's range once moved to UTC, reached the database type, which
raised (a 500 on GET /v1/products).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from commerce.kernel.db.types import UtcDateTime
from commerce.kernel.domain import InvalidInput
from commerce.kernel.pagination import encode_cursor
from commerce.product.application.queries import Position, ProductReader, ProductView


class BindingQueries:
    """Binds the position's time the way the SQL adapter's column type does."""

    def __init__(self, rows: list[ProductView] | None = None) -> None:
        self.rows = rows or []
        self.after: Position | None = None

    async def get(self, product_id: str) -> ProductView | None:
        return None

    async def page(
        self, *, limit: int, after: Position | None, q: str | None, seller_id: str | None = None
    ) -> list[ProductView]:
        self.after = after
        if after is not None:
            UtcDateTime().process_bind_param(after.created_at, sqlite.dialect())
        return self.rows[:limit]


def view(created_at: datetime, product_id: str) -> ProductView:
    return ProductView(product_id, "s1", "Tea", "", 100, 1, None, created_at, created_at)


def forged(t: Any = "2020-01-01T00:00:00+00:00", key: Any = "p1") -> dict[str, Any]:
    # Both key spellings a cursor ever used, so each case is hostile whichever is read.
    return {"t": t, "i": key, "id": key}


@pytest.mark.parametrize(
    "position",
    [
        forged("2020-01-01T00:00:00"),  # naive
        forged("2020-01-01"),  # a date is naive too
        forged("0001-01-01T00:00:00+14:00"),  # before year 1 in UTC
        forged("9999-12-31T23:59:59-14:00"),  # after year 9999 in UTC
        forged(key=5),
        forged(key=["p1"]),
        forged(key=None),
        forged(t=20200101),
        {"t": "2020-01-01T00:00:00+00:00"},
        {"i": "p1", "id": "p1"},
    ],
)
async def test_a_forged_position_is_invalid_input(position: dict[str, Any]) -> None:
    queries = BindingQueries()
    with pytest.raises(InvalidInput):
        await ProductReader(queries).list(cursor=encode_cursor(position))
    assert queries.after is None


async def test_the_cursor_of_a_page_leads_to_the_next_one() -> None:
    seoul = timezone(timedelta(hours=9))
    rows = [view(datetime(2020, 1, 1, 12, 0, tzinfo=seoul), "p2")] * 2
    queries = BindingQueries(rows)
    page = await ProductReader(queries).list(limit=1)
    assert page.next_cursor is not None
    await ProductReader(queries).list(limit=1, cursor=page.next_cursor)
    # The same instant, in UTC: what the column type binds without overflow or ambiguity.
    assert queries.after == Position(datetime(2020, 1, 1, 3, 0, tzinfo=UTC), "p2")
    assert queries.after.created_at.utcoffset() == timedelta(0)
