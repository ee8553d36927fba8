"""The ordering HTTP API: thin, schema -> command -> use case -> body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from commerce.kernel.domain import InvalidInput
from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.http.schemas import Cursor, Limit, Page
from commerce.kernel.observability.platform_metrics import record_saga_outcome
from commerce.kernel.pagination import DEFAULT_LIMIT
from commerce.order.adapters.inbound.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    NewOrder,
    OrderOut,
)
from commerce.order.application.commands import CancelOrder, PlaceOrder
from commerce.order.application.errors import IdempotencyKeyReused
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.domain.order import OrderStatus


async def _use_cases(request: Request) -> OrderUseCases:
    use_cases: OrderUseCases = request.app.state.order_use_cases
    return use_cases


UseCases = Annotated[OrderUseCases, Depends(_use_cases)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Repeating a request with the same key returns the first order.",
    ),
]
StatusFilter = Annotated[OrderStatus | None, Query(description="Only orders in this status.")]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON."},
    401: {"description": "No valid bearer token."},
    404: {"description": "No such order of the caller (another user's order is not found too)."},
    409: {
        "description": "The order is already REJECTED or CANCELLED (`order-not-cancellable`), "
        "or it changed meanwhile (`order-changed-meanwhile`): repeat the request."
    },
    422: {"description": "Invalid body, header or query (also: a key reused with another body)."},
}
OVER_THE_CAP = {
    "description": "The caller's orders that are not final would hold more units than the "
    "per-user cap (`held-units-cap-reached`; the detail says the cap and the units held): "
    "nothing was accepted or reserved (docs/adr/0063)."
}

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def _location(response: Response, order_id: str) -> None:
    response.headers["Location"] = f"/v1/orders/{order_id}"


@router.post(
    "",
    status_code=202,
    response_model=OrderOut,
    responses={
        200: {
            "model": OrderOut,
            "description": "A replay: the order first placed with this key, as it is now.",
        },
        **{k: PROBLEMS[k] for k in (400, 401, 422)},
        409: OVER_THE_CAP,
    },
)
async def place(
    body: NewOrder,
    identity: CurrentIdentity,
    use_cases: UseCases,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    """Accept an order as PENDING; the catalog confirms or rejects it within seconds."""
    command = PlaceOrder(
        user_id=identity.user_id,
        lines=tuple((item.product_id, item.quantity) for item in body.items),
        idempotency_key=idempotency_key,
    )
    try:
        placement = await use_cases.place(command)
    except IdempotencyKeyReused as error:
        # The use case knows no headers; the client is told which of its inputs was wrong.
        raise InvalidInput(
            error.message, code=error.code, field="header.Idempotency-Key"
        ) from error
    if not placement.created:
        response.status_code = 200  # nothing new was accepted: here is what was, as it is now
    _location(response, placement.order.id)
    return OrderOut.of(placement.order)


@router.get("", response_model=Page[OrderOut], responses={k: PROBLEMS[k] for k in (401, 422)})
async def list_(
    identity: CurrentIdentity,
    use_cases: UseCases,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusFilter = None,
) -> Page[OrderOut]:
    """The caller's orders, newest first."""
    # A cursor we could not have issued is a 422 on query.cursor, raised by the kernel.
    page = await use_cases.read.list(identity.user_id, limit=limit, cursor=cursor, status=status)
    return Page[OrderOut](
        items=[OrderOut.of(view) for view in page.items], next_cursor=page.next_cursor
    )


@router.get("/{order_id}", response_model=OrderOut, responses={k: PROBLEMS[k] for k in (401, 404)})
async def get(order_id: str, identity: CurrentIdentity, use_cases: UseCases) -> OrderOut:
    """One of the caller's orders."""
    return OrderOut.of(await use_cases.read.get(identity.user_id, order_id))


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    responses={k: PROBLEMS[k] for k in (401, 404, 409)},
)
async def cancel(order_id: str, identity: CurrentIdentity, use_cases: UseCases) -> OrderOut:
    """Cancel a PENDING or CONFIRMED order; the catalog releases any reservation."""
    view = await use_cases.cancel(CancelOrder(user_id=identity.user_id, order_id=order_id))
    record_saga_outcome("cancelled")
    return OrderOut.of(view)
