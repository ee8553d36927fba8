"""The catalog's HTTP API: thin, schema -> command -> use case -> body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from commerce.kernel.http.identity import CurrentIdentity
from commerce.kernel.http.schemas import Cursor, Limit, Page, Printable
from commerce.kernel.pagination import DEFAULT_LIMIT
from commerce.product.adapters.inbound.schemas import NewProduct, ProductEdit, ProductOut
from commerce.product.application.commands import CreateProduct, EditProduct
from commerce.product.application.use_cases import ProductUseCases


async def _use_cases(request: Request) -> ProductUseCases:
    use_cases: ProductUseCases = request.app.state.product_use_cases
    return use_cases


UseCases = Annotated[ProductUseCases, Depends(_use_cases)]
Search = Annotated[
    Annotated[str, Printable] | None,
    Query(max_length=200, description="Case-insensitive part of the name (taken literally)."),
]
SellerFilter = Annotated[
    Annotated[str, Printable] | None,
    Query(
        max_length=64,
        description="Only the products this seller lists (a user id, e.g. the caller's own).",
    ),
]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON."},
    401: {"description": "No valid bearer token."},
    403: {"description": "The caller is not the product's seller."},
    404: {"description": "No such product."},
    409: {"description": "The seller already has a product with this sku."},
}

router = APIRouter(prefix="/v1/products", tags=["products"])


@router.post(
    "",
    status_code=201,
    response_model=ProductOut,
    responses={k: PROBLEMS[k] for k in (400, 401, 409)},
)
async def create(
    body: NewProduct, identity: CurrentIdentity, use_cases: UseCases, response: Response
) -> ProductOut:
    """List a new product; the caller becomes its seller."""
    product = await use_cases.create(
        CreateProduct(
            seller_id=identity.user_id,
            name=body.name,
            description=body.description,
            price=body.price,
            stock=body.stock,
            sku=body.sku,
        ),
    )
    response.headers["Location"] = f"/v1/products/{product.id}"
    return ProductOut.of(product)


@router.get("", response_model=Page[ProductOut])
async def list_(
    use_cases: UseCases,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    q: Search = None,
    seller_id: SellerFilter = None,
) -> Page[ProductOut]:
    """Products, newest first; no token needed. ``seller_id`` narrows to one seller's."""
    page = await use_cases.read.list(limit=limit, cursor=cursor, q=q, seller_id=seller_id)
    return Page[ProductOut](
        items=[ProductOut.of(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get("/{product_id}", response_model=ProductOut, responses={404: PROBLEMS[404]})
async def get(product_id: str, use_cases: UseCases) -> ProductOut:
    """One product; no token needed."""
    return ProductOut.of(await use_cases.read.get(product_id))


@router.patch(
    "/{product_id}",
    response_model=ProductOut,
    responses={k: PROBLEMS[k] for k in (400, 401, 403, 404)},
)
async def edit(
    product_id: str, body: ProductEdit, identity: CurrentIdentity, use_cases: UseCases
) -> ProductOut:
    """Change name, description, price or stock; only the seller may."""
    product = await use_cases.edit(
        EditProduct(product_id=product_id, caller_id=identity.user_id, changes=body.changes()),
    )
    return ProductOut.of(product)
