"""The catalog API over ASGI against a real database: create, get, edit, list, search."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.kernel.db import Database
from commerce.kernel.http.app import create_service_app
from commerce.kernel.pagination import encode_cursor
from commerce.product.adapters.inbound.http import router
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.bootstrap import build_use_cases
from tests.identity import VERIFIER, as_user
from tests.integration.product.helpers import outbox_events
from tests.openapi_agreement import parameter, request_body

pytestmark = pytest.mark.integration

SELLER = as_user("seller-1", "s@example.com", "USER")
OTHER = as_user("seller-2", "o@example.com", "USER")


@pytest.fixture
async def client(catalog: SqlaCatalog) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        proofs=VERIFIER, title="product under test", routers=[router], readiness={}
    )
    app.state.product_use_cases = build_use_cases(catalog.unit_of_work, catalog.queries)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://product") as client:
        yield client


async def create(
    client: httpx.AsyncClient, headers: dict[str, str] = SELLER, **fields: object
) -> dict:
    body = {"name": "Green tea", "price": 4_500, "stock": 10, **fields}
    response = await client.post("/v1/products", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_then_get(client: httpx.AsyncClient, database: Database) -> None:
    response = await client.post(
        "/v1/products",
        json={
            "name": "Green tea",
            "description": "Jeju",
            "price": 4_500,
            "stock": 10,
            "sku": "TEA-1",
        },
        headers=SELLER,
    )
    assert response.status_code == 201
    product = response.json()
    assert response.headers["location"] == f"/v1/products/{product['id']}"
    assert set(product) == {
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
    assert product["seller_id"] == "seller-1"
    assert (product["description"], product["sku"]) == ("Jeju", "TEA-1")
    assert product["created_at"].endswith("Z")
    fetched = await client.get(f"/v1/products/{product['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == product
    [event] = await outbox_events(database, "ProductCreated")
    assert event.data == {
        "product_id": product["id"],
        "seller_id": "seller-1",
        "name": "Green tea",
        "price": 4_500,
        "stock": 10,
    }


async def test_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    for product_id in ("00000000-0000-0000-0000-000000000000", "x" * 300):
        response = await client.get(f"/v1/products/{product_id}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_same_sku_twice_for_one_seller_is_409_but_fine_for_another(
    client: httpx.AsyncClient,
) -> None:
    await create(client, sku="SKU-1")
    again = await client.post(
        "/v1/products", json={"name": "n", "price": 1, "stock": 1, "sku": "SKU-1"}, headers=SELLER
    )
    assert again.status_code == 409
    await create(client, headers=OTHER, sku="SKU-1")


async def test_patch_by_the_seller(client: httpx.AsyncClient, database: Database) -> None:
    product = await create(client)
    response = await client.patch(
        f"/v1/products/{product['id']}",
        json={"price": 5_000, "stock": 0, "name": "Black tea"},
        headers=SELLER,
    )
    assert response.status_code == 200
    edited = response.json()
    assert (edited["name"], edited["price"], edited["stock"]) == ("Black tea", 5_000, 0)
    assert edited["description"] == product["description"]
    assert edited["updated_at"] > product["updated_at"]
    assert (await client.get(f"/v1/products/{product['id']}")).json() == edited
    [event] = await outbox_events(database, "ProductUpdated")
    assert event.data == {
        "product_id": product["id"],
        "name": "Black tea",
        "price": 5_000,
        "stock": 0,
    }


async def test_patch_by_another_user_is_403_and_changes_nothing(client: httpx.AsyncClient) -> None:
    product = await create(client)
    response = await client.patch(f"/v1/products/{product['id']}", json={"price": 1}, headers=OTHER)
    assert response.status_code == 403
    assert (await client.get(f"/v1/products/{product['id']}")).json() == product


async def test_patch_of_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch("/v1/products/nope", json={"price": 1}, headers=SELLER)
    assert response.status_code == 404


async def test_writes_need_an_identity(client: httpx.AsyncClient) -> None:
    product = await create(client)
    assert (
        await client.post("/v1/products", json={"name": "n", "price": 1, "stock": 1})
    ).status_code == 401
    assert (
        await client.patch(f"/v1/products/{product['id']}", json={"price": 1})
    ).status_code == 401


async def test_pages_are_newest_first_and_stable_under_inserts(client: httpx.AsyncClient) -> None:
    before = [(await create(client, name=f"Page item {n}"))["id"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/products", params=params)).json()
        seen.extend(item["id"] for item in page["items"])
        # Products listed while a client pages must neither repeat nor hide older ones.
        await create(client, name=f"Inserted {inserted}")
        inserted += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(before))
    assert len(set(seen)) == len(seen)


async def test_limit_and_cursor_are_validated(client: httpx.AsyncClient) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"cursor": "e30"},
    ):
        response = await client.get("/v1/products", params=params)
        assert response.status_code == 422, params
    await create(client)
    assert len((await client.get("/v1/products")).json()["items"]) == 1


# Well-formed cursors holding a hostile position (both key spellings a cursor ever used):
# a naive time, and times that leave datetime's range once converted to UTC.
HOSTILE_CURSORS = [
    pytest.param("!!!", id="not-base64"),
    *(
        pytest.param(encode_cursor({"t": t, "i": "x", "id": "x"}), id=label)
        for label, t in (
            ("naive", "2026-01-01T00:00:00"),
            ("below-year-1", "0001-01-01T00:00:00+01:00"),
            ("above-year-9999", "9999-12-31T23:59:59-01:00"),
        )
    ),
]


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS)
async def test_hostile_cursors_are_422_with_errors(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/v1/products", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["query.cursor"]


async def test_search_is_case_insensitive_and_literal(client: httpx.AsyncClient) -> None:
    matcha = await create(client, name="Matcha LATTE")
    await create(client, name="Espresso")
    percent = await create(client, name="100% Arabica")
    underscore = await create(client, name="snake_case tea")
    korean = await create(client, name="녹차 라떼")

    async def search(q: str) -> list[str]:
        response = await client.get("/v1/products", params={"q": q})
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert await search("latte") == [matcha["id"]]
    assert await search("mAtChA lat") == [matcha["id"]]
    assert await search("%") == [percent["id"]]
    assert await search("_") == [underscore["id"]]
    assert await search("e_c") == [underscore["id"]]
    assert await search("0%") == [percent["id"]]
    assert await search("라떼") == [korean["id"]]
    assert await search("\\") == []
    assert await search("nothing like it") == []


@pytest.mark.parametrize("q", ["\x00zzzz", "kettle\u202e", "\u200b", "a\nb"])
async def test_a_search_with_hidden_characters_is_422_not_everything(
    client: httpx.AsyncClient, q: str
) -> None:
    """On SQLite ``q=%00zzzz`` matched every product (security finding 5)."""
    response = await client.get("/v1/products", params={"q": q})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.q"


async def test_search_pages_carry_on_with_the_cursor(client: httpx.AsyncClient) -> None:
    wanted = [(await create(client, name=f"Oolong {n}"))["id"] for n in range(5)]
    await create(client, name="Something else")
    first = (await client.get("/v1/products", params={"q": "oolong", "limit": 3})).json()
    second = (
        await client.get(
            "/v1/products", params={"q": "oolong", "limit": 3, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == list(reversed(wanted))
    assert second["next_cursor"] is None


# Names and skus are trimmed before their rules apply, so the document counts the rest.
NEW_PRODUCT_FIELDS: list[dict[str, object]] = [
    {"name": "Green tea"},
    {"name": "  녹차 \t"},
    {"name": " " + "x" * 200 + "\n"},
    {"name": "x" * 201},
    {"name": ""},
    {"name": " \u3000 "},
    {"name": "Green\u200btea"},
    {"name": "Green\ntea"},
    {"name": "\x1cGreen"},
    {"description": "Jeju, 2026 harvest"},
    {"description": "line\nbreak"},
    {"description": "x" * 5001},
    {"sku": " SKU-1.a_b "},
    {"sku": "a" * 64},
    {"sku": "\t" + "b" * 64 + " "},
    {"sku": "c" * 65},
    {"sku": "-a"},
    {"sku": "a b"},
    {"sku": ""},
    {"sku": None},
    {"price": 0},
    {"price": 10**9},
    {"stock": -1},
    {"stock": 10**7},
]
PRODUCT_EDITS: list[dict[str, object]] = [
    {},
    {"price": None},
    {"name": None},
    {"name": " Black tea "},
    {"stock": 0},
    {"description": "x\ty"},
]
SEARCHES = ["tea", "녹차", "x" * 200, "x" * 201, "\u200b", "a\nb", "kettle\u202e"]


async def test_the_document_takes_exactly_what_the_catalog_takes(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    new_product = request_body(document, "POST", "/v1/products")
    edit = request_body(document, "PATCH", "/v1/products/{product_id}")
    search = parameter(document, "GET", "/v1/products", "q")
    product = await create(client)
    disagreements = []
    for fields in NEW_PRODUCT_FIELDS:
        body = {"name": "Green tea", "price": 4_500, "stock": 10, **fields}
        response = await client.post("/v1/products", json=body, headers=SELLER)
        # 409: a valid body whose sku the seller already has.
        if (response.status_code in (201, 409)) != new_product.is_valid(body):
            disagreements.append(("POST", body, response.status_code))
    for body in PRODUCT_EDITS:
        response = await client.patch(f"/v1/products/{product['id']}", json=body, headers=SELLER)
        if (response.status_code == 200) != edit.is_valid(body):
            disagreements.append(("PATCH", body, response.status_code))
    for q in SEARCHES:
        response = await client.get("/v1/products", params={"q": q})
        if (response.status_code == 200) != search.is_valid(q):
            disagreements.append(("GET", q, response.status_code))
    assert disagreements == []


async def test_seller_id_narrows_the_list_and_keeps_search_and_pages(
    client: httpx.AsyncClient,
) -> None:
    first = await create(client, name="Oolong")
    await create(client, OTHER, name="Oolong")
    second = await create(client, name="Oolong dark")
    await create(client, name="Coffee")
    document = (await client.get("/openapi.json")).json()
    documented = parameter(document, "GET", "/v1/products", "seller_id")

    async def page(**params: str) -> dict:
        response = await client.get("/v1/products", params={"seller_id": "seller-1", **params})
        assert response.status_code == 200, response.text
        return response.json()

    one = await page(q="oolong", limit="1")
    two = await page(q="oolong", limit="1", cursor=one["next_cursor"])
    assert [item["id"] for item in one["items"] + two["items"]] == [second["id"], first["id"]]
    assert two["next_cursor"] is None
    assert (await page(q="nothing"))["items"] == []
    assert documented.is_valid("seller-1")
    assert not documented.is_valid("x" * 65)
