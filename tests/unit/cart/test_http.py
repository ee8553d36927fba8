"""The Cart API's validation and error mapping over ASGI, with fakes behind the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.cart.adapters.inbound.http import router
from commerce.cart.application.ports import (
    CatalogViewUnitOfWork,
    OrderRefused,
    OrderRequest,
    OrderServiceFailed,
    OrderServiceUnavailable,
    PlacedOrder,
)
from commerce.cart.bootstrap import build_use_cases
from commerce.cart.domain.catalog import CatalogEntry
from commerce.kernel.http.app import create_service_app
from tests.identity import VERIFIER, as_user
from tests.unit.cart.fakes import (
    FakeCartStore,
    FakeCatalogView,
    FakeClock,
    FakeOrderPlacer,
    FakeProductCatalog,
)

ALICE = as_user("alice", "a@example.com")
PROBLEM = "application/problem+json"


class ScriptedOrders(FakeOrderPlacer):
    """The order service, or the error it is told to raise."""

    error: Exception | None = None

    async def place(self, request: OrderRequest) -> PlacedOrder:
        if self.error is not None:
            raise self.error
        return await super().place(request)


@pytest.fixture
def orders() -> ScriptedOrders:
    return ScriptedOrders()


@pytest.fixture
def catalog() -> FakeProductCatalog:
    return FakeProductCatalog({"new": CatalogEntry("new", "New", 10, 1)})


@pytest.fixture
async def client(
    orders: ScriptedOrders, catalog: FakeProductCatalog
) -> AsyncIterator[httpx.AsyncClient]:
    store, clock = FakeCartStore(), FakeClock()
    view = FakeCatalogView({f"p{i}": CatalogEntry(f"p{i}", f"P{i}", 100, 5) for i in range(51)})

    def no_events() -> CatalogViewUnitOfWork:
        raise AssertionError("no catalog events here")

    app = create_service_app(title="cart", proofs=VERIFIER, routers=[router], readiness={})
    app.state.cart_use_cases = build_use_cases(store, view, orders, catalog, no_events, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cart") as client:
        yield client


async def put(client: httpx.AsyncClient, product_id: str, body: object) -> httpx.Response:
    return await client.put(f"/v1/cart/items/{product_id}", json=body, headers=ALICE)


async def test_an_empty_cart(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/cart", headers=ALICE)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "updated_at": None}


async def test_put_answers_the_cart(client: httpx.AsyncClient) -> None:
    response = await put(client, "p1", {"quantity": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["items"] == [
        {"product_id": "p1", "name": "P1", "quantity": 3, "unit_price": 100, "available": True}
    ]
    assert body["total"] == 300 and body["updated_at"].endswith("Z")


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 0},
        {"quantity": 1001},
        {"quantity": "2"},
        {"quantity": 2.0},
        {"quantity": True},
        {},
        {"quantity": 1, "price": 1},
        [1],
    ],
)
async def test_bad_quantities_are_422_problems(client: httpx.AsyncClient, body: object) -> None:
    response = await put(client, "p1", body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM and response.json()["errors"]


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    headers = {**ALICE, "content-type": "application/json"}
    response = await client.put("/v1/cart/items/p1", content=b"{", headers=headers)
    assert response.status_code == 400


async def test_a_product_id_that_cannot_be_the_catalogs_is_422(client: httpx.AsyncClient) -> None:
    response = await put(client, "a%20b", {"quantity": 1})
    assert response.status_code == 422


async def test_unknown_products_are_404_and_an_unreachable_catalog_503(
    client: httpx.AsyncClient, catalog: FakeProductCatalog
) -> None:
    assert (await put(client, "nothing", {"quantity": 1})).status_code == 404
    assert (await put(client, "new", {"quantity": 1})).status_code == 200
    catalog.down = True
    response = await put(client, "other", {"quantity": 1})
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM


async def test_the_51st_product_is_409(client: httpx.AsyncClient) -> None:
    for i in range(50):
        assert (await put(client, f"p{i}", {"quantity": 1})).status_code == 200
    response = await put(client, "p50", {"quantity": 1})
    assert response.status_code == 409 and response.json()["type"].endswith("/cart-full")


async def test_without_the_gateways_proof_it_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/cart")).status_code == 401
    spoofed = {"X-User-Id": "alice"}
    assert (await client.get("/v1/cart", headers=spoofed)).status_code == 401


async def test_deleting_lines_and_the_cart(client: httpx.AsyncClient) -> None:
    await put(client, "p1", {"quantity": 1})
    absent = await client.delete("/v1/cart/items/p2", headers=ALICE)
    assert absent.status_code == 200 and len(absent.json()["items"]) == 1
    cleared = await client.delete("/v1/cart", headers=ALICE)
    assert cleared.status_code == 204 and cleared.content == b""
    assert (await client.get("/v1/cart", headers=ALICE)).json()["items"] == []


async def test_checkout_of_an_empty_cart_is_409(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/cart/checkout", headers=ALICE)
    assert response.status_code == 409 and response.json()["type"].endswith("/cart-empty")


async def test_checkout_answers_the_order_with_its_location(
    client: httpx.AsyncClient, orders: ScriptedOrders
) -> None:
    await put(client, "p1", {"quantity": 2})
    response = await client.post(
        "/v1/cart/checkout", json={"payment": {"method": "invoice"}}, headers=ALICE
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/orders/{response.json()['id']}"
    assert orders.requests[0].payment == {"method": "invoice"}
    again = await client.post(
        "/v1/cart/checkout", json={"payment": {"method": "invoice"}}, headers=ALICE
    )
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"payment": {"method": "card", "token": "4111111111111111"}}, {}),
        ({"payment": {"method": "cash"}}, {}),
        ({"payment": {"method": "invoice", "token": "tok_visa"}}, {}),
        ({"items": []}, {}),
        ({}, {"Idempotency-Key": " padded "}),
        ({}, {"Idempotency-Key": "x" * 256}),
    ],
)
async def test_bad_checkouts_are_422(
    client: httpx.AsyncClient, orders: ScriptedOrders, body: object, headers: dict[str, str]
) -> None:
    await put(client, "p1", {"quantity": 2})
    response = await client.post("/v1/cart/checkout", json=body, headers={**ALICE, **headers})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert orders.requests == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OrderRefused(422, {"type": "t/idempotency-key-reused", "status": 422}), 422),
        (OrderRefused(409, {"type": "t/held-units-cap-reached", "status": 409}), 409),
        (OrderServiceFailed("500"), 502),
        (OrderServiceUnavailable(), 503),
    ],
)
async def test_the_order_services_refusals_and_failures_are_passed_on(
    client: httpx.AsyncClient, orders: ScriptedOrders, error: Exception, status: int
) -> None:
    await put(client, "p1", {"quantity": 2})
    orders.error = error
    response = await client.post("/v1/cart/checkout", headers=ALICE)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    if isinstance(error, OrderRefused):
        assert response.json() == error.problem
