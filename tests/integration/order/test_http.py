"""The ordering API over ASGI against a real database: place, replay, read, list, cancel, ship,
deliver, and what STAFF may see."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from commerce.kernel.db import Database
from commerce.kernel.pagination import encode_cursor
from commerce.order.application.commands import RecordPayment, RecordRejection, RecordReservation
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.payment import PaymentStatus
from tests.identity import as_user
from tests.integration.order.helpers import outbox_events
from tests.openapi_agreement import parameter, request_body
from tests.unit.order.fakes import FakeClock

pytestmark = pytest.mark.integration

ALICE = as_user("alice", "a@example.com", "USER")
BOB = as_user("bob", "b@example.com", "USER")
STAFF = as_user("sam", "s@example.com", "USER,STAFF")
BODY = {"items": [{"product_id": "p-1", "quantity": 2}, {"product_id": "p-2", "quantity": 1}]}
PROBLEM_KEYS = {"type", "title", "status", "detail"}


async def place(client: httpx.AsyncClient, headers: dict[str, str] = ALICE, **extra) -> dict:  # type: ignore[no-untyped-def]
    response = await client.post("/v1/orders", json=BODY, headers={**headers, **extra})
    assert response.status_code == 202, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    if status == 422:
        assert body["errors"]
    return body


async def test_place_answers_202_pending_with_location_and_writes_the_event(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await client.post("/v1/orders", json=BODY, headers=ALICE)
    assert response.status_code == 202
    order = response.json()
    assert response.headers["location"] == f"/v1/orders/{order['id']}"
    assert set(order) == {
        "id",
        "user_id",
        "status",
        "items",
        "total",
        "reason",
        "payment",
        "shipment",
        "created_at",
        "updated_at",
    }
    assert (order["payment"], order["shipment"]) == (
        {"method": "invoice", "status": "PENDING"},
        None,
    )
    assert order["user_id"] == "alice" and order["status"] == "PENDING"
    assert order["items"] == [
        {"product_id": "p-1", "quantity": 2, "unit_price": None},
        {"product_id": "p-2", "quantity": 1, "unit_price": None},
    ]
    assert order["total"] is None and order["reason"] is None
    assert order["created_at"].endswith("Z")
    datetime.fromisoformat(order["created_at"])
    assert [e["type"] for e in await outbox_events(database)] == ["OrderPlaced"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"product_id": f"p-{i}", "quantity": 1} for i in range(51)]},
        {"items": [{"product_id": "p-1", "quantity": 0}]},
        {"items": [{"product_id": "p-1", "quantity": 1001}]},
        {"items": [{"product_id": "p-1", "quantity": "2"}]},
        {"items": [{"product_id": "p-1", "quantity": 2.0}]},
        {"items": [{"product_id": "p-1", "quantity": True}]},
        {"items": [{"product_id": "", "quantity": 1}]},
        {"items": [{"product_id": "x" * 65, "quantity": 1}]},
        {"items": [{"product_id": 7, "quantity": 1}]},
        {"items": [{"product_id": "p-1\x00", "quantity": 1}]},
        {"items": [{"product_id": "p-\u202e1", "quantity": 1}]},
        {"items": [{"product_id": "\ufeffp-1", "quantity": 1}]},
        {"items": [{"product_id": "p-1\n", "quantity": 1}]},
        {"items": [{"quantity": 1}]},
        {"items": [{"product_id": "p-1", "quantity": 1, "unit_price": 1}]},
        {"items": [{"product_id": "p-1", "quantity": 1}], "total": 1},
        {"items": [{"product_id": "p-1", "quantity": 1}], "status": "CONFIRMED"},
        {"items": [{"product_id": "p-1", "quantity": 1}], "user_id": "bob"},
        {"items": [{"product_id": "p-1", "quantity": 1}, {"product_id": "p-1", "quantity": 2}]},
        {"items": {"product_id": "p-1", "quantity": 1}},
        [],
    ],
)
async def test_invalid_orders_are_422_and_write_nothing(
    client: httpx.AsyncClient, database: Database, body: object
) -> None:
    assert_problem(await client.post("/v1/orders", json=body, headers=ALICE), 422)
    assert await outbox_events(database) == []


async def test_unparsable_body_is_400_and_no_identity_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/orders", content=b"{nope", headers={**ALICE, "content-type": "application/json"}
    )
    assert_problem(response, 400)
    assert_problem(await client.post("/v1/orders", json=BODY), 401)
    assert_problem(await client.get("/v1/orders"), 401)
    assert_problem(await client.get("/v1/orders/x"), 401)
    assert_problem(await client.post("/v1/orders/x/cancel"), 401)


async def test_the_limits_are_accepted(client: httpx.AsyncClient) -> None:
    body = {"items": [{"product_id": f"p-{i}", "quantity": 1000} for i in range(50)]}
    assert (await client.post("/v1/orders", json=body, headers=ALICE)).status_code == 202


async def test_idempotency_key_replays_the_first_order(
    client: httpx.AsyncClient, database: Database
) -> None:
    first = await place(client, **{"Idempotency-Key": "checkout-42"})
    response = await client.post(
        "/v1/orders", json=BODY, headers={**ALICE, "Idempotency-Key": "checkout-42"}
    )
    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert response.headers["location"] == f"/v1/orders/{first['id']}"
    # another user's identical key is another order
    other = await place(client, BOB, **{"Idempotency-Key": "checkout-42"})
    assert other["id"] != first["id"]
    assert len(await outbox_events(database)) == 2


async def test_idempotency_key_with_another_body_is_422(
    client: httpx.AsyncClient, database: Database
) -> None:
    await place(client, **{"Idempotency-Key": "checkout-42"})
    response = await client.post(
        "/v1/orders",
        json={"items": [{"product_id": "p-1", "quantity": 3}]},
        headers={**ALICE, "Idempotency-Key": "checkout-42"},
    )
    body = assert_problem(response, 422)
    assert body["type"].endswith("/idempotency-key-reused")
    assert body["errors"] == [
        {
            "field": "header.Idempotency-Key",
            "message": body["detail"],
            "type": "idempotency_key_reused",
        }
    ]
    assert len(await outbox_events(database)) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", " lead", "é"])
async def test_malformed_idempotency_keys_are_422(client: httpx.AsyncClient, key: str) -> None:
    # (sent as raw bytes: "é" arrives as two non-ASCII octets)
    headers = {**ALICE, "Idempotency-Key": key.encode("utf-8")}
    assert_problem(await client.post("/v1/orders", json=BODY, headers=headers), 422)


async def test_a_key_of_255_printable_characters_is_fine(client: httpx.AsyncClient) -> None:
    key = ("a b~!" * 51)[:255]
    await place(client, **{"Idempotency-Key": key})


async def test_get_is_for_the_owner_only(client: httpx.AsyncClient) -> None:
    order = await place(client)
    response = await client.get(f"/v1/orders/{order['id']}", headers=ALICE)
    assert response.status_code == 200 and response.json() == order
    missing = assert_problem(await client.get("/v1/orders/no-such-order", headers=ALICE), 404)
    foreign = assert_problem(await client.get(f"/v1/orders/{order['id']}", headers=BOB), 404)
    assert foreign == missing  # no existence leak


async def test_a_confirmed_order_shows_the_catalog_prices(
    client: httpx.AsyncClient, use_cases: OrderUseCases
) -> None:
    order = await place(client)
    priced = (PricedLine("p-1", 2, 4_500), PricedLine("p-2", 1, 1_000))
    await use_cases.catalog_replies.reserved(RecordReservation("e-1", order["id"], priced))
    body = (await client.get(f"/v1/orders/{order['id']}", headers=ALICE)).json()
    # Priced and reserved, but PENDING until the payment service authorizes.
    assert body["status"] == "PENDING" and body["total"] == 10_000
    assert body["payment"] == {"method": "invoice", "status": "PENDING"}
    authorized = RecordPayment("e-2", order["id"], PaymentStatus.AUTHORIZED)
    await use_cases.payment_replies(authorized)
    body = (await client.get(f"/v1/orders/{order['id']}", headers=ALICE)).json()
    assert body["status"] == "CONFIRMED" and body["total"] == 10_000
    assert body["payment"] == {"method": "invoice", "status": "AUTHORIZED"}
    assert [item["unit_price"] for item in body["items"]] == [4_500, 1_000]


async def test_list_pages_newest_first_and_filters_by_status(
    client: httpx.AsyncClient, use_cases: OrderUseCases, clock: FakeClock
) -> None:
    ids = []
    for _ in range(3):
        ids.append((await place(client))["id"])
        clock.advance(1)
    await place(client, BOB)
    await use_cases.catalog_replies.rejected(RecordRejection("e-1", ids[0], "OUT_OF_STOCK"))
    first = (await client.get("/v1/orders?limit=2", headers=ALICE)).json()
    assert [o["id"] for o in first["items"]] == [ids[2], ids[1]]
    assert first["next_cursor"]
    second = await client.get(
        "/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ALICE
    )
    assert [o["id"] for o in second.json()["items"]] == [ids[0]]
    assert second.json()["next_cursor"] is None
    rejected = (await client.get("/v1/orders?status=REJECTED", headers=ALICE)).json()
    assert [(o["id"], o["reason"]) for o in rejected["items"]] == [(ids[0], "OUT_OF_STOCK")]
    assert (await client.get("/v1/orders", headers=BOB)).json()["items"][0]["user_id"] == "bob"


@pytest.mark.parametrize(
    "query",
    [
        "status=LOST",
        "status=pending",
        "scope=mine",
        "scope=",
        "limit=0",
        "limit=101",
        "limit=x",
        "cursor=%21%21",
    ],
)
async def test_bad_list_queries_are_422(client: httpx.AsyncClient, query: str) -> None:
    assert_problem(await client.get(f"/v1/orders?{query}", headers=ALICE), 422)


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
    response = await client.get("/v1/orders", params={"cursor": cursor}, headers=ALICE)
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["query.cursor"]


async def test_cancel_by_the_owner_then_409(client: httpx.AsyncClient, database: Database) -> None:
    order = await place(client)
    assert_problem(await client.post(f"/v1/orders/{order['id']}/cancel", headers=BOB), 404)
    response = await client.post(f"/v1/orders/{order['id']}/cancel", headers=ALICE)
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert_problem(await client.post(f"/v1/orders/{order['id']}/cancel", headers=ALICE), 409)
    assert_problem(await client.post("/v1/orders/nope/cancel", headers=ALICE), 404)
    assert [e["type"] for e in await outbox_events(database)] == ["OrderPlaced", "OrderCancelled"]


async def test_cancel_of_a_rejected_order_is_409(
    client: httpx.AsyncClient, use_cases: OrderUseCases
) -> None:
    order = await place(client)
    await use_cases.catalog_replies.rejected(RecordRejection("e-1", order["id"], "OUT_OF_STOCK"))
    body = assert_problem(await client.post(f"/v1/orders/{order['id']}/cancel", headers=ALICE), 409)
    assert "REJECTED" in body["detail"]


ORDER_BODIES: list[object] = [
    BODY,
    {"items": [{"product_id": f"p-{i}", "quantity": 1000} for i in range(50)]},
    {"items": [{"product_id": "상품-1 (red)", "quantity": 1}]},
    {"items": []},
    {"items": [{"product_id": f"p-{i}", "quantity": 1} for i in range(51)]},
    {"items": [{"product_id": "p-1", "quantity": 0}]},
    {"items": [{"product_id": "p-1", "quantity": 1001}]},
    {"items": [{"product_id": "p-1", "quantity": "2"}]},
    {"items": [{"product_id": "p-1", "quantity": True}]},
    {"items": [{"product_id": "", "quantity": 1}]},
    {"items": [{"product_id": "x" * 65, "quantity": 1}]},
    {"items": [{"product_id": "p-1\x00", "quantity": 1}]},
    {"items": [{"product_id": "p-\u202e1", "quantity": 1}]},
    {"items": [{"product_id": "\ufeffp-1", "quantity": 1}]},
    {"items": [{"product_id": "p-1", "quantity": 1}, {"product_id": "p-1", "quantity": 1}]},
    {"items": [{"product_id": "p-1", "quantity": 1}], "total": 1},
    {**BODY, "payment": {"method": "card", "token": "tok_visa"}},
    {**BODY, "payment": {"method": "card", "token": "tok_" + "z" * 40}},
    {**BODY, "payment": {"method": "invoice"}},
    {**BODY, "payment": None},
    {**BODY, "payment": {"method": "card", "token": "tok_" + "z" * 41}},
    {**BODY, "payment": {"method": "card", "token": "tok_Visa"}},
    {**BODY, "payment": {"method": "card", "token": "4111111111111111"}},
    {**BODY, "payment": {"method": "card"}},
    {**BODY, "payment": {"method": "invoice", "token": "tok_visa"}},
    {**BODY, "payment": {"method": "paypal"}},
    {**BODY, "payment": {"method": "card", "token": "tok_visa", "amount": 1}},
]
SHIPMENTS: list[object] = [
    {"carrier": "CJ Logistics", "tracking_number": "6001-2345"},
    {"carrier": "C" * 100, "tracking_number": "한진 1"},
    {"carrier": "", "tracking_number": "1"},
    {"carrier": "C" * 101, "tracking_number": "1"},
    {"carrier": "CJ", "tracking_number": "1\n2"},
    {"carrier": "CJ"},
    {"carrier": "CJ", "tracking_number": "1", "shipped_at": "2026-01-01T00:00:00Z"},
]
IDEMPOTENCY_KEYS = ["checkout-42", ("a b~!" * 51)[:255], "", "x" * 256, "tab\there", " lead"]
LIST_CURSORS = [encode_cursor({"t": "2026-01-01T00:00:00+00:00", "id": "x"}), "", "!!!", "a b"]
# What no JSON Schema can say (docs/adr/0091): the document takes these, the server does not.
BEYOND_THE_SCHEMA: list[object] = [
    {"items": [{"product_id": "p-1", "quantity": 2.0}]},  # 2.0 is a JSON Schema integer
    {"items": [{"product_id": "p-1", "quantity": 1}, {"product_id": "p-1", "quantity": 2}]},
]


async def test_the_document_takes_exactly_what_the_ordering_api_takes(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    new_order = request_body(document, "POST", "/v1/orders")
    key = parameter(document, "POST", "/v1/orders", "Idempotency-Key")
    cursor = parameter(document, "GET", "/v1/orders", "cursor")
    disagreements = []
    for body in ORDER_BODIES:
        response = await client.post("/v1/orders", json=body, headers=ALICE)
        # 409: a valid order over the caller's cap on held units.
        if (response.status_code in (202, 409)) != new_order.is_valid(body):
            disagreements.append((body, response.status_code))
    for value in IDEMPOTENCY_KEYS:
        headers = {**ALICE, "Idempotency-Key": value}
        response = await client.post("/v1/orders", json=BODY, headers=headers)
        if (response.status_code in (200, 202)) != key.is_valid(value):
            disagreements.append((value, response.status_code))
    for value in LIST_CURSORS:
        response = await client.get("/v1/orders", params={"cursor": value}, headers=ALICE)
        if (response.status_code == 200) != cursor.is_valid(value):
            disagreements.append((value, response.status_code))
    shipment = request_body(document, "POST", "/v1/orders/{order_id}/ship")
    for body in SHIPMENTS:
        # 404, not 422: the body passed the schema and only the order is unknown.
        response = await client.post("/v1/orders/nope/ship", json=body, headers=STAFF)
        if (response.status_code == 404) != shipment.is_valid(body):
            disagreements.append((body, response.status_code))
    assert disagreements == []


@pytest.mark.parametrize("body", BEYOND_THE_SCHEMA)
async def test_what_the_document_cannot_say_is_said_in_words(
    client: httpx.AsyncClient, body: object
) -> None:
    document = (await client.get("/openapi.json")).json()
    assert request_body(document, "POST", "/v1/orders").is_valid(body)
    assert_problem(await client.post("/v1/orders", json=body, headers=ALICE), 422)
    schemas = document["components"]["schemas"]
    assert "2.0" in schemas["NewOrderLine"]["properties"]["quantity"]["description"]
    assert "one line" in schemas["NewOrder"]["properties"]["items"]["description"]


async def confirmed(client: httpx.AsyncClient, use_cases: OrderUseCases, **body: object) -> str:
    response = await client.post("/v1/orders", json={**BODY, **body}, headers=ALICE)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    priced = (PricedLine("p-1", 2, 4_500), PricedLine("p-2", 1, 1_000))
    await use_cases.catalog_replies.reserved(RecordReservation(f"r-{order_id}", order_id, priced))
    authorized = RecordPayment(f"a-{order_id}", order_id, PaymentStatus.AUTHORIZED)
    await use_cases.payment_replies(authorized)
    return order_id


async def test_staff_ship_then_deliver_a_confirmed_order(
    client: httpx.AsyncClient, use_cases: OrderUseCases, database: Database, clock: FakeClock
) -> None:
    order_id = await confirmed(client, use_cases, payment={"method": "card", "token": "tok_visa"})
    shipment = {"carrier": "CJ Logistics", "tracking_number": "6001-2345"}
    assert_problem(await client.post(f"/v1/orders/{order_id}/deliver", headers=STAFF), 409)
    assert_problem(
        await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=ALICE), 403
    )
    clock.advance(60)
    shipped = await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=STAFF)
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert body["status"] == "SHIPPED"
    assert body["payment"] == {"method": "card", "status": "AUTHORIZED"}
    assert body["shipment"] == {
        **shipment,
        "shipped_at": clock.now.isoformat().replace("+00:00", "Z"),
        "delivered_at": None,
    }
    assert_problem(
        await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=STAFF), 409
    )
    assert_problem(await client.post(f"/v1/orders/{order_id}/cancel", headers=ALICE), 409)
    assert_problem(await client.post(f"/v1/orders/{order_id}/deliver", headers=ALICE), 403)
    clock.advance(3600)
    delivered = await client.post(f"/v1/orders/{order_id}/deliver", headers=STAFF)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "DELIVERED"
    assert delivered.json()["shipment"]["delivered_at"] == clock.now.isoformat().replace(
        "+00:00", "Z"
    )
    # The owner reads what staff did, as stored.
    again = (await client.get(f"/v1/orders/{order_id}", headers=ALICE)).json()
    assert again == delivered.json()
    events = [e for e in await outbox_events(database) if e["key"] == order_id]
    assert [e["type"] for e in events] == [
        "OrderPlaced",
        "PaymentRequested",
        "OrderConfirmed",
        "OrderShipped",
        "OrderDelivered",
    ]
    assert events[1]["data"] == {
        "order_id": order_id,
        "user_id": "alice",
        "amount": 10_000,
        "method": "card",
        "token": "tok_visa",
    }
    assert events[3]["data"] == {"order_id": order_id, **shipment}


async def test_a_declined_payment_shows_rejected_with_its_reason(
    client: httpx.AsyncClient, use_cases: OrderUseCases, database: Database
) -> None:
    order = await place(client)
    priced = (PricedLine("p-1", 2, 4_500), PricedLine("p-2", 1, 1_000))
    await use_cases.catalog_replies.reserved(RecordReservation("e-1", order["id"], priced))
    declined = RecordPayment("e-2", order["id"], PaymentStatus.DECLINED, "PAYMENT_DECLINED")
    await use_cases.payment_replies(declined)
    body = (await client.get(f"/v1/orders/{order['id']}", headers=ALICE)).json()
    assert (body["status"], body["reason"], body["payment"]["status"]) == (
        "REJECTED",
        "PAYMENT_DECLINED",
        "DECLINED",
    )
    rejected = [e for e in await outbox_events(database) if e["type"] == "OrderRejected"]
    assert [e["data"] for e in rejected] == [
        {"order_id": order["id"], "reason": "PAYMENT_DECLINED"}
    ]


async def test_staff_read_any_order_and_list_every_customers_orders(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ids = []
    for headers in (ALICE, BOB, ALICE):
        ids.append((await place(client, headers))["id"])
        clock.advance(1)
    assert (await client.get(f"/v1/orders/{ids[1]}", headers=STAFF)).json()["user_id"] == "bob"
    assert_problem(await client.get(f"/v1/orders/{ids[1]}", headers=ALICE), 404)
    # The caller's own orders by default: staff have none here.
    assert (await client.get("/v1/orders", headers=STAFF)).json()["items"] == []
    first = (await client.get("/v1/orders?scope=all&limit=2", headers=STAFF)).json()
    assert [o["id"] for o in first["items"]] == [ids[2], ids[1]]
    second = await client.get(
        "/v1/orders",
        params={"scope": "all", "limit": 2, "cursor": first["next_cursor"]},
        headers=STAFF,
    )
    assert [o["id"] for o in second.json()["items"]] == [ids[0]]
    assert second.json()["next_cursor"] is None
    pending = (await client.get("/v1/orders?scope=all&status=PENDING", headers=STAFF)).json()
    assert len(pending["items"]) == 3
    assert_problem(await client.get("/v1/orders?scope=all", headers=ALICE), 403)


async def test_the_same_key_with_another_payment_is_422(client: httpx.AsyncClient) -> None:
    key = {"Idempotency-Key": "pay-once"}
    card = {**BODY, "payment": {"method": "card", "token": "tok_visa"}}
    first = await client.post("/v1/orders", json=card, headers={**ALICE, **key})
    again = await client.post("/v1/orders", json=card, headers={**ALICE, **key})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    for other in ({**BODY, "payment": {"method": "card", "token": "tok_flaky"}}, BODY):
        assert_problem(await client.post("/v1/orders", json=other, headers={**ALICE, **key}), 422)
