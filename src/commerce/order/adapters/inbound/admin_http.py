"""The order service's own admin endpoint beside the kernel's: orders stuck in PENDING."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from commerce.kernel.admin.access import AdminActor
from commerce.kernel.admin.http import PROBLEMS
from commerce.kernel.http.schemas import Cursor, Limit, Page, UtcTimestamp
from commerce.kernel.pagination import DEFAULT_LIMIT
from commerce.order.adapters.outbound.stuck_orders import SqlaStuckOrders, StuckOrder

DEFAULT_OLDER_THAN_SECONDS = 60


class StuckOrderOut(BaseModel):
    id: str
    user_id: str
    status: str
    waiting_for: Literal["stock", "payment"]
    created_at: UtcTimestamp
    age_seconds: float

    @classmethod
    def of(cls, order: StuckOrder) -> StuckOrderOut:
        return cls(
            id=order.id,
            user_id=order.user_id,
            status=order.status,
            waiting_for=order.waiting_for,
            created_at=order.created_at,
            age_seconds=order.age_seconds,
        )


async def _stuck_orders(request: Request) -> SqlaStuckOrders:
    reader: SqlaStuckOrders = request.app.state.stuck_orders
    return reader


OlderThan = Annotated[
    int, Query(ge=1, le=86400, description="Only orders PENDING for longer than this.")
]
router = APIRouter(
    prefix="/v1/admin/order", tags=["admin"], responses={k: PROBLEMS[k] for k in (401, 403)}
)


@router.get("/stuck-orders", response_model=Page[StuckOrderOut])
async def stuck_orders(
    _: AdminActor,
    reader: Annotated[SqlaStuckOrders, Depends(_stuck_orders)],
    older_than_seconds: OlderThan = DEFAULT_OLDER_THAN_SECONDS,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[StuckOrderOut]:
    """PENDING orders older than the threshold, oldest first, with the step they wait at."""
    page = await reader.list(
        older_than=timedelta(seconds=older_than_seconds), limit=limit, cursor=cursor
    )
    return Page[StuckOrderOut](
        items=[StuckOrderOut.of(item) for item in page.items], next_cursor=page.next_cursor
    )
