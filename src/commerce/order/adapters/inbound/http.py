"""The ordering HTTP API: thin, schema -> command -> use case -> body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from commerce.kernel.domain import InvalidInput
from commerce.kernel.http.identity import CurrentIdentity, Identity
from commerce.kernel.http.schemas import Cursor, Limit, Page
from commerce.kernel.observability.platform_metrics import record_saga_outcome
from commerce.kernel.pagination import DEFAULT_LIMIT
from commerce.kernel.roles import Role
from commerce.order.adapters.inbound.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    NewOrder,
    NewShipment,
    OrderOut,
)
from commerce.order.application.commands import (
    CancelOrder,
    DeliverOrder,
    PaymentInput,
    PlaceOrder,
    ShipOrder,
)
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
Scope = Annotated[
    Literal["all"] | None,
    Query(description="`all`: every customer's orders (STAFF only; 403 otherwise)."),
]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON."},
    401: {"description": "No valid bearer token."},
    403: {"description": "The caller is not STAFF (`staff-only`)."},
    404: {
        "description": "No such order of the caller (another user's order is not found too, "
        "unless the caller is STAFF)."
    },
    409: {
        "description": "The order is already REJECTED, CANCELLED, SHIPPED or DELIVERED "
        "(`order-not-cancellable`), or it changed meanwhile (`order-changed-meanwhile`): "
        "repeat the request."
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


def is_staff(identity: Identity) -> bool:
    return Role.STAFF in identity.roles


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
    """Accept an order as PENDING; within seconds the catalog reserves its stock and the payment
    service authorizes its payment (CONFIRMED), or one of them turns it down (REJECTED)."""
    command = PlaceOrder(
        user_id=identity.user_id,
        lines=tuple((item.product_id, item.quantity) for item in body.items),
        idempotency_key=idempotency_key,
        payment=None
        if body.payment is None
        else PaymentInput(body.payment.method, getattr(body.payment, "token", None)),
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


@router.get("", response_model=Page[OrderOut], responses={k: PROBLEMS[k] for k in (401, 403, 422)})
async def list_(
    identity: CurrentIdentity,
    use_cases: UseCases,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusFilter = None,
    scope: Scope = None,
) -> Page[OrderOut]:
    """The caller's orders, newest first; with `scope=all`, every customer's (STAFF)."""
    # A cursor we could not have issued is a 422 on query.cursor, raised by the kernel.
    if scope == "all":
        page = await use_cases.read.list_all(
            staff=is_staff(identity), limit=limit, cursor=cursor, status=status
        )
    else:
        page = await use_cases.read.list(
            identity.user_id, limit=limit, cursor=cursor, status=status
        )
    return Page[OrderOut](
        items=[OrderOut.of(view) for view in page.items], next_cursor=page.next_cursor
    )


@router.get("/{order_id}", response_model=OrderOut, responses={k: PROBLEMS[k] for k in (401, 404)})
async def get(order_id: str, identity: CurrentIdentity, use_cases: UseCases) -> OrderOut:
    """One of the caller's orders (any order, for STAFF)."""
    view = await use_cases.read.get(identity.user_id, order_id, staff=is_staff(identity))
    return OrderOut.of(view)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    responses={k: PROBLEMS[k] for k in (401, 404, 409)},
)
async def cancel(order_id: str, identity: CurrentIdentity, use_cases: UseCases) -> OrderOut:
    """Cancel a PENDING or CONFIRMED order; the catalog releases any reservation and the
    payment service voids any authorization."""
    view = await use_cases.cancel(CancelOrder(user_id=identity.user_id, order_id=order_id))
    record_saga_outcome("cancelled")
    return OrderOut.of(view)


@router.post(
    "/{order_id}/ship",
    response_model=OrderOut,
    responses={
        **{k: PROBLEMS[k] for k in (400, 401, 403, 404, 422)},
        409: {
            "description": "Only a CONFIRMED order ships (`order-not-shippable`), or it changed "
            "meanwhile (`order-changed-meanwhile`)."
        },
    },
)
async def ship(
    order_id: str, body: NewShipment, identity: CurrentIdentity, use_cases: UseCases
) -> OrderOut:
    """STAFF hand a CONFIRMED order to a carrier: SHIPPED, and its payment is captured."""
    command = ShipOrder(
        order_id=order_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        staff=is_staff(identity),
    )
    return OrderOut.of(await use_cases.fulfilment.ship(command))


@router.post(
    "/{order_id}/deliver",
    response_model=OrderOut,
    responses={
        **{k: PROBLEMS[k] for k in (401, 403, 404)},
        409: {
            "description": "Only a SHIPPED order is delivered (`order-not-deliverable`), or it "
            "changed meanwhile (`order-changed-meanwhile`)."
        },
    },
)
async def deliver(order_id: str, identity: CurrentIdentity, use_cases: UseCases) -> OrderOut:
    """STAFF record that the carrier delivered a SHIPPED order: DELIVERED."""
    command = DeliverOrder(order_id=order_id, staff=is_staff(identity))
    return OrderOut.of(await use_cases.fulfilment.deliver(command))
