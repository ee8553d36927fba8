"""The catalog API's validation and error mapping, over ASGI with the in-memory catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.kernel.http.app import create_service_app
from commerce.product.adapters.inbound.http import router
from tests.identity import VERIFIER, as_user
from tests.unit.product.fakes import FakeCatalogStore

SELLER = as_user("seller-1")
VALID = {"name": "Tea", "price": 100, "stock": 1}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(proofs=VERIFIER, title="product", routers=[router], readiness={})
    app.state.product_use_cases = FakeCatalogStore().use_cases()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://p"
    ) as client:
        yield client


HIDDEN = ("\x00", "\n", "\u202e", "\u200b", "\ufeff", "\x1b")


@pytest.mark.parametrize(
    "change",
    [
        {"price": 0},
        {"price": 10**9 + 1},
        {"price": -5},
        {"price": "100"},
        {"price": 100.0},
        {"price": True},
        {"price": None},
        {"stock": -1},
        {"stock": 10**7 + 1},
        {"stock": "1"},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": 42},
        {"description": "d" * 5001},
        # Control, line-break, invisible and bidi characters (security finding 5).
        *({field: f"Kettle{bad}red"} for field in ("name", "description") for bad in HIDDEN),
        {"sku": ""},
        {"sku": "has space"},
        {"sku": "x" * 65},
        {"seller_id": "someone"},
        {"id": "mine"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"reserved": 3},
    ],
)
async def test_create_refuses_bad_fields_with_422(client: httpx.AsyncClient, change: dict) -> None:
    response = await client.post("/v1/products", json={**VALID, **change}, headers=SELLER)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


@pytest.mark.parametrize("missing", ["name", "price", "stock"])
async def test_create_needs_name_price_and_stock(client: httpx.AsyncClient, missing: str) -> None:
    body = {k: v for k, v in VALID.items() if k != missing}
    response = await client.post("/v1/products", json=body, headers=SELLER)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [missing]


async def test_limits_themselves_are_accepted(client: httpx.AsyncClient) -> None:
    body = {"name": "x" * 200, "price": 10**9, "stock": 10**7, "description": "d" * 5000}
    assert (await client.post("/v1/products", json=body, headers=SELLER)).status_code == 201
    body = {"name": "y", "price": 1, "stock": 0, "sku": "A.b-9_z"}
    created = await client.post("/v1/products", json=body, headers=SELLER)
    assert created.status_code == 201
    assert (created.json()["description"], created.json()["sku"]) == ("", "A.b-9_z")


async def test_times_are_answered_in_utc_with_a_z(client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime

    created = (await client.post("/v1/products", json=VALID, headers=SELLER)).json()
    for field in ("created_at", "updated_at"):
        assert created[field].endswith("Z") and "+" not in created[field]
        assert datetime.fromisoformat(created[field]).tzinfo == UTC


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/products", content=b"{not json", headers={**SELLER, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


async def test_create_without_identity_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/products", json=VALID)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"seller_id": "x"},
        {"sku": "NEW"},
        {"price": None},
        {"name": None},
        {"stock": -1},
        {"price": 0},
        {"name": ""},
        {"id": "x", "price": 5},
    ],
)
async def test_patch_refuses_empty_null_unknown_or_bad_fields(
    client: httpx.AsyncClient, body: dict
) -> None:
    created = (await client.post("/v1/products", json=VALID, headers=SELLER)).json()
    response = await client.patch(f"/v1/products/{created['id']}", json=body, headers=SELLER)
    assert response.status_code == 422, response.text
    assert (await client.get(f"/v1/products/{created['id']}")).json() == created


async def test_patch_description_alone(client: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/products", json=VALID, headers=SELLER)).json()
    response = await client.patch(
        f"/v1/products/{created['id']}", json={"description": "new"}, headers=SELLER
    )
    assert response.status_code == 200
    assert response.json()["description"] == "new"


async def test_search_longer_than_200_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/products", params={"q": "x" * 201})).status_code == 422
    assert (await client.get("/v1/products", params={"q": "   "})).status_code == 200


async def test_seller_id_lists_only_that_sellers_products(client: httpx.AsyncClient) -> None:
    mine = (await client.post("/v1/products", json=VALID, headers=SELLER)).json()
    await client.post("/v1/products", json=VALID, headers=as_user("seller-2"))

    response = await client.get("/v1/products", params={"seller_id": "seller-1"})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [mine["id"]]
    assert len((await client.get("/v1/products")).json()["items"]) == 2
    assert (await client.get("/v1/products", params={"seller_id": "x" * 65})).status_code == 422
