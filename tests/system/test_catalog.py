"""The catalog through the gateway, as a client sees it (API.md, "Catalog: products")."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.system.accounts import Account, new_account

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"
PRODUCT_KEYS = {
    "id",
    "seller_id",
    "name",
    "description",
    "price",
    "stock",
    "sku",
    "created_at",
    "updated_at",
}


@pytest.fixture
def seller(gateway: httpx.Client) -> Account:
    return new_account(gateway, "seller")


def create(gateway: httpx.Client, account: Account, **fields: object) -> dict:
    body = {"name": f"Product {uuid.uuid4().hex[:8]}", "price": 9_900, "stock": 5, **fields}
    response = gateway.post("/v1/products", json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def test_create_with_a_token_and_read_without_one(gateway: httpx.Client, seller: Account) -> None:
    response = gateway.post(
        "/v1/products",
        json={
            "name": "Hanji notebook",
            "description": "A5",
            "price": 12_000,
            "stock": 3,
            "sku": "NB-A5",
        },
        headers=seller.auth,
    )
    assert response.status_code == 201, response.text
    product = response.json()
    assert set(product) == PRODUCT_KEYS
    assert (product["seller_id"], product["price"], product["stock"]) == (seller.id, 12_000, 3)
    assert response.headers["location"].endswith(f"/v1/products/{product['id']}")

    fetched = gateway.get(f"/v1/products/{product['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == product


def test_create_without_a_valid_token_is_401(gateway: httpx.Client) -> None:
    body = {"name": "n", "price": 1, "stock": 1}
    assert_problem(gateway.post("/v1/products", json=body), 401)
    assert_problem(
        gateway.post("/v1/products", json=body, headers={"Authorization": "Bearer junk"}), 401
    )
    # A client cannot pose as a seller by sending the identity headers itself.
    assert_problem(gateway.post("/v1/products", json=body, headers={"X-User-Id": "someone"}), 401)


def test_unknown_product_is_404(gateway: httpx.Client) -> None:
    assert_problem(gateway.get(f"/v1/products/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize(
    "change",
    [
        {"price": 0},
        {"price": 10**9 + 1},
        {"stock": -1},
        {"stock": 10**7 + 1},
        {"name": ""},
        {"name": "x" * 201},
        {"seller_id": "me"},
    ],
)
def test_invalid_products_are_422(gateway: httpx.Client, seller: Account, change: dict) -> None:
    body = {"name": "Valid", "price": 1, "stock": 0, **change}
    assert assert_problem(gateway.post("/v1/products", json=body, headers=seller.auth), 422)[
        "errors"
    ]


def test_only_the_seller_may_patch(gateway: httpx.Client, seller: Account) -> None:
    product = create(gateway, seller)
    stranger = new_account(gateway, "stranger")
    assert_problem(
        gateway.patch(f"/v1/products/{product['id']}", json={"price": 1}, headers=stranger.auth),
        403,
    )
    assert_problem(gateway.patch(f"/v1/products/{product['id']}", json={"price": 1}), 401)
    assert gateway.get(f"/v1/products/{product['id']}").json() == product

    response = gateway.patch(
        f"/v1/products/{product['id']}", json={"price": 8_800, "stock": 9}, headers=seller.auth
    )
    assert response.status_code == 200, response.text
    assert (response.json()["price"], response.json()["stock"]) == (8_800, 9)


def test_patch_errors(gateway: httpx.Client, seller: Account) -> None:
    product = create(gateway, seller)
    url = f"/v1/products/{product['id']}"
    assert_problem(
        gateway.patch(f"/v1/products/{uuid.uuid4()}", json={"price": 1}, headers=seller.auth), 404
    )
    assert_problem(gateway.patch(url, json={}, headers=seller.auth), 422)
    assert_problem(gateway.patch(url, json={"sku": "X"}, headers=seller.auth), 422)
    assert_problem(gateway.patch(url, json={"price": None}, headers=seller.auth), 422)


def test_list_pages_through_a_search_without_a_token(
    gateway: httpx.Client, seller: Account
) -> None:
    tag = uuid.uuid4().hex[:10]
    created = [create(gateway, seller, name=f"Mug {tag.upper()} #{n}")["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": f"mug {tag}", "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = gateway.get("/v1/products", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    assert_problem(gateway.get("/v1/products", params={"limit": 101}), 422)
