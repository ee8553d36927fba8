"""The admin API over ASGI against a real product database and the product's own handler:
dead letters recorded once, listed, inspected, replayed (once in effect), discarded, audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from commerce.contracts.topics import ORDER_EVENTS
from commerce.kernel.admin.console import OperationsConsole
from commerce.kernel.admin.http import admin_router
from commerce.kernel.admin.store import SqlOperationsStore
from commerce.kernel.db import Database
from commerce.kernel.domain import utc_now
from commerce.kernel.http.app import create_service_app
from commerce.kernel.messaging.dead_letter_records import SqlDeadLetterRecorder
from commerce.kernel.messaging.dead_letters import IncomingMessage
from commerce.kernel.messaging.lag import LagReport, unknown_lag
from commerce.product.adapters.inbound.events import OrderEventsHandler
from commerce.product.adapters.outbound.catalog import SqlaCatalog
from commerce.product.adapters.outbound.tables import admin_audit, dead_letters, outbox
from commerce.product.bootstrap import SERVICE_PACKAGE, build_use_cases
from tests.identity import VERIFIER, as_user
from tests.integration.conftest import migrated_database
from tests.integration.product.helpers import new_order_id, new_product, placed, stock_of
from tests.openapi_agreement import parameter, request_body

pytestmark = pytest.mark.integration

ADMIN = as_user("admin-1", "ops@example.com", "USER,ADMIN")
USER = as_user("user-1", "u@example.com", "USER")
BASE = "/v1/admin/product"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with migrated_database(database_url, SERVICE_PACKAGE) as database:
        yield database


async def no_broker() -> LagReport:
    return unknown_lag({"product": (ORDER_EVENTS,)}, "the broker did not answer (test)")


@pytest.fixture
async def client(database: Database) -> AsyncIterator[httpx.AsyncClient]:
    catalog = SqlaCatalog(database)
    handler = OrderEventsHandler(build_use_cases(catalog.unit_of_work, catalog.queries))
    store = SqlOperationsStore(database.connections, dead_letters, admin_audit, outbox)
    app = create_service_app(
        proofs=VERIFIER, title="admin under test", routers=[admin_router("product")], readiness={}
    )
    app.state.operations = OperationsConsole("product", store, {"product": handler}, no_broker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://product") as client:
        yield client


async def park(database: Database, value: bytes, offset: int, error: Exception) -> None:
    """What the consumer does when it gives up on a message (recorded, here without Kafka)."""
    message = IncomingMessage(
        topic=ORDER_EVENTS,
        partition=0,
        offset=offset,
        key=b"k",
        value=value,
        headers=(("traceparent", b"00-1-2-01"),),
    )
    recorder = SqlDeadLetterRecorder(database.connections, dead_letters)
    await recorder.record(message, group_id="product", error=error, attempts=5, failed_at=utc_now())


async def open_letters(client: httpx.AsyncClient) -> list[dict]:
    response = await client.get(f"{BASE}/dead-letters?status=OPEN", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_parked_message_is_recorded_once_listed_and_inspectable(
    database: Database, client: httpx.AsyncClient
) -> None:
    event = placed(new_order_id(), ("p-1", 1))
    await park(database, event.to_json(), 7, RuntimeError("boom"))
    await park(database, event.to_json(), 7, RuntimeError("boom again"))  # a redelivery

    [item] = await open_letters(client)
    assert (item["topic"], item["partition"], item["offset"]) == (ORDER_EVENTS, 0, 7)
    assert (item["event_id"], item["event_type"]) == (event.id, "OrderPlaced")
    assert (item["error_type"], item["error_message"], item["attempts"]) == (
        "RuntimeError",
        "boom",
        5,
    )
    assert item["status"] == "OPEN" and item["failed_at"].endswith("Z")
    detail = (await client.get(f"{BASE}/dead-letters/{item['id']}", headers=ADMIN)).json()
    assert detail["payload"]["id"] == event.id
    assert (detail["key"], detail["headers"]) == ("k", {"traceparent": "00-1-2-01"})
    overview = (await client.get(f"{BASE}/messaging", headers=ADMIN)).json()
    assert overview["dead_letters"] == {"open": 1}
    assert overview["outbox"] == {"backlog": 0, "oldest_age_seconds": None}
    assert overview["consumer_lag_available"] is False
    assert overview["consumers"][0]["lag"] is None


async def test_replay_applies_once_and_is_audited(
    database: Database, client: httpx.AsyncClient
) -> None:
    product_id = await new_product(SqlaCatalog(database), stock=5)
    event = placed(new_order_id(), (product_id, 2))
    await park(database, event.to_json(), 1, RuntimeError("table locked"))
    await park(database, event.to_json(), 2, RuntimeError("the same event, read twice"))
    first, second = sorted(await open_letters(client), key=lambda item: item["offset"])

    replayed = await client.post(f"{BASE}/dead-letters/{first['id']}/replay", headers=ADMIN)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["status"] == "REPLAYED"
    assert replayed.json()["resolved_by"] == "admin-1"
    assert await stock_of(database, product_id) == 3
    # Its event id is in the inbox now: replaying the duplicate is harmless.
    again = await client.post(f"{BASE}/dead-letters/{second['id']}/replay", headers=ADMIN)
    assert again.json()["status"] == "REPLAYED"
    assert await stock_of(database, product_id) == 3
    async with database.connections() as session:
        answers = await session.execute(
            select(func.count()).where(outbox.c.event_type == "StockReserved")
        )
        assert answers.scalar_one() == 1
    not_open = await client.post(f"{BASE}/dead-letters/{first['id']}/replay", headers=ADMIN)
    assert not_open.status_code == 409
    assert not_open.json()["type"].endswith("/dead-letter-not-open")

    audit = (await client.get(f"{BASE}/audit", headers=ADMIN)).json()["items"]
    assert [(row["action"], row["actor_email"]) for row in audit] == [
        ("replay", "ops@example.com"),
        ("replay", "ops@example.com"),
    ]
    assert audit[0]["target"] == f"dead-letter:{second['id']}"


async def test_a_replay_that_fails_again_stays_open_with_its_error(
    database: Database, client: httpx.AsyncClient
) -> None:
    await park(database, b"not an event", 3, ValueError("not JSON"))
    [item] = await open_letters(client)

    response = await client.post(f"{BASE}/dead-letters/{item['id']}/replay", headers=ADMIN)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/replay-failed")
    assert "(ValidationError)" in response.json()["detail"]
    [still] = await open_letters(client)
    assert (still["status"], still["attempts"]) == ("OPEN", item["attempts"] + 1)
    detail = (await client.get(f"{BASE}/dead-letters/{item['id']}", headers=ADMIN)).json()
    assert detail["payload"] == "not an event"
    [audit] = (await client.get(f"{BASE}/audit", headers=ADMIN)).json()["items"]
    assert audit["detail"].startswith("failed: ValidationError")


async def test_replay_all_counts_and_discard_needs_a_reason(
    database: Database, client: httpx.AsyncClient
) -> None:
    product_id = await new_product(SqlaCatalog(database), stock=5)
    await park(database, placed(new_order_id(), (product_id, 1)).to_json(), 1, RuntimeError())
    await park(database, b"{}", 2, ValueError("no envelope"))
    await park(database, placed(new_order_id(), (product_id, 1)).to_json(), 3, RuntimeError())
    letters = sorted(await open_letters(client), key=lambda item: item["offset"])
    discard_url = f"{BASE}/dead-letters/{letters[2]['id']}/discard"

    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "status": "OPEN"}):
        assert (await client.post(discard_url, json=body, headers=ADMIN)).status_code == 422
    discarded = await client.post(discard_url, json={"reason": "duplicate order"}, headers=ADMIN)
    assert discarded.status_code == 200
    assert (discarded.json()["status"], discarded.json()["reason"]) == (
        "DISCARDED",
        "duplicate order",
    )
    assert (await client.post(discard_url, json={"reason": "x"}, headers=ADMIN)).status_code == 409
    missing = f"{BASE}/dead-letters/999999/discard"
    assert (await client.post(missing, json={"reason": "x"}, headers=ADMIN)).status_code == 404

    counts = await client.post(f"{BASE}/dead-letters/replay", headers=ADMIN)
    assert counts.json() == {"replayed": 1, "failed": 1}
    assert await stock_of(database, product_id) == 4
    page = await client.get(f"{BASE}/dead-letters?limit=2", headers=ADMIN)
    rest = await client.get(
        f"{BASE}/dead-letters?limit=2&cursor={page.json()['next_cursor']}", headers=ADMIN
    )
    statuses = [item["status"] for item in page.json()["items"] + rest.json()["items"]]
    assert statuses == ["DISCARDED", "OPEN", "REPLAYED"]
    assert rest.json()["next_cursor"] is None
    actions = [
        row["action"] for row in (await client.get(f"{BASE}/audit", headers=ADMIN)).json()["items"]
    ]
    assert actions == ["replay-all", "replay", "replay", "discard"]


async def test_only_admins(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/messaging"),
        ("GET", "/dead-letters"),
        ("GET", "/dead-letters/1"),
        ("POST", "/dead-letters/1/replay"),
        ("POST", "/dead-letters/replay"),
        ("GET", "/audit"),
    ):
        refused = await client.request(method, BASE + path, headers=USER)
        assert refused.status_code == 403, path
        assert refused.json()["type"].endswith("/admin-only")
        assert (await client.request(method, BASE + path)).status_code == 401
    bad_cursor = await client.get(f"{BASE}/dead-letters?cursor=abc", headers=ADMIN)
    assert bad_cursor.status_code == 422


async def test_the_document_takes_exactly_the_reasons_and_ids_the_server_takes(
    database: Database, client: httpx.AsyncClient
) -> None:
    document = (await client.get("/openapi.json")).json()
    body = request_body(document, "POST", BASE + "/dead-letters/{letter_id}/discard")
    letter_id = parameter(document, "POST", BASE + "/dead-letters/{letter_id}/discard", "letter_id")
    for reason in ("", " ", "ok", "x" * 500, "x" * 501, "tab\there", "\u202eevil", "정산 오류"):
        await park(database, b"x", len(reason) + 1000 * ord(reason[:1] or " "), RuntimeError())
        [newest, *_] = await open_letters(client)
        url = f"{BASE}/dead-letters/{newest['id']}/discard"
        answer = await client.post(url, json={"reason": reason}, headers=ADMIN)
        assert answer.status_code in (200, 422), answer.text
        assert body.is_valid({"reason": reason}) == (answer.status_code == 200), repr(reason)
    for value in ("0", "1", "9" * 19, "12a", "-1"):
        answer = await client.get(f"{BASE}/dead-letters/{value}", headers=ADMIN)
        assert letter_id.is_valid(value) == (answer.status_code != 422), value
