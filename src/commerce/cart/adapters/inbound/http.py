"""The Cart API: thin, schema -> use case -> body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from commerce.cart.adapters.inbound.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    PRODUCT_ID_PATTERN,
    CartOut,
    CheckoutRequest,
    NewQuantity,
)
from commerce.cart.application.checkout import CheckOutCommand
from commerce.cart.application.ports import OrderRefused, OrderServiceFailed
from commerce.cart.application.use_cases import CartUseCases
from commerce.kernel.domain import Unauthorized
from commerce.kernel.http.gateway_proof import PROOF_HEADER
from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.http.problems import ProblemResponse, problem


async def _use_cases(request: Request) -> CartUseCases:
    use_cases: CartUseCases = request.app.state.cart_use_cases
    return use_cases


UseCases = Annotated[CartUseCases, Depends(_use_cases)]
ProductId = Annotated[str, Path(pattern=PRODUCT_ID_PATTERN, description="The catalog's id.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Sent on to the order service: the same key places one order. Without "
        "one, a retry of a checkout of the same cart finds the order placed first.",
    ),
]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON."},
    401: {"description": "No valid bearer token."},
    422: {"description": "Invalid body, path or header."},
}
router = APIRouter(prefix="/v1/cart", tags=["cart"])


@router.get("", response_model=CartOut, responses={401: PROBLEMS[401]})
async def read(identity: CurrentIdentity, use_cases: UseCases) -> CartOut:
    """The caller's cart, at the catalog's names and prices."""
    return CartOut.of(await use_cases.read(identity.user_id))


@router.put(
    "/items/{product_id}",
    response_model=CartOut,
    responses={
        **PROBLEMS,
        404: {"description": "The catalog has no such product."},
        409: {"description": "The cart holds 50 products already (`cart-full`)."},
        503: {"description": "The catalog could not be asked about a product new to the cart."},
    },
)
async def put_item(
    product_id: ProductId, body: NewQuantity, identity: CurrentIdentity, use_cases: UseCases
) -> CartOut:
    """Set how many of the product the cart holds."""
    return CartOut.of(await use_cases.set_quantity(identity.user_id, product_id, body.quantity))


@router.delete("/items/{product_id}", response_model=CartOut, responses={401: PROBLEMS[401]})
async def delete_item(product_id: str, identity: CurrentIdentity, use_cases: UseCases) -> CartOut:
    """Take the product out of the cart (also 200 when it was not in it)."""
    return CartOut.of(await use_cases.remove(identity.user_id, product_id))


@router.delete("", status_code=204, responses={401: PROBLEMS[401]})
async def clear(identity: CurrentIdentity, use_cases: UseCases) -> Response:
    """Empty the cart."""
    await use_cases.clear(identity.user_id)
    return Response(status_code=204)


@router.post(
    "/checkout",
    status_code=202,
    response_model=None,
    responses={
        202: {"description": "The order, as POST /v1/orders answers it, and its Location."},
        200: {"description": "A repeated checkout: the order placed first, as it is now."},
        **PROBLEMS,
        409: {"description": "The cart is empty (`cart-empty`), or the order service's 409."},
        502: {"description": "The order service answered what it should not have."},
        503: {"description": "The order service cannot be reached."},
    },
)
async def checkout(
    request: Request,
    identity: CurrentIdentity,
    use_cases: UseCases,
    body: Annotated[CheckoutRequest | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Place one order with the cart's lines; they leave the cart once it is CONFIRMED."""
    proof = request.headers.get(PROOF_HEADER)
    if proof is None:  # identity comes only with a proof, so this is never met in practice
        raise Unauthorized("A valid bearer token is required.")
    payment = body.payment.model_dump() if body and body.payment else None
    command = CheckOutCommand(identity.user_id, proof, idempotency_key, payment)
    try:
        placed = await use_cases.check_out(command)
    except OrderRefused as refused:
        return ProblemResponse(dict(refused.problem), status_code=refused.status_code)
    except OrderServiceFailed:
        return problem(502, "The order service failed to place the order.", slug="bad-gateway")
    location = placed.location or f"/v1/orders/{placed.order_id}"
    return JSONResponse(
        dict(placed.body), status_code=placed.status_code, headers={"Location": location}
    )
