"""``GET /v1/orders/{id}/events`` over ASGI: the Server-Sent Events framing, the headers, and
the refusals that come before any stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest

from commerce.kernel.http.app import create_service_app
from commerce.order.adapters.inbound.http import router
from commerce.order.adapters.inbound.live_status_http import (
    frame,
    parse_last_event_id,
)
from commerce.order.adapters.inbound.live_status_http import (
    router as live_router,
)
from commerce.order.application.live_status import KEEP_ALIVE, LiveOrderStatus
from commerce.order.application.queries import OrderReader
from commerce.order.application.views import OrderSnapshot, OrderView
from tests.identity import VERIFIER, as_user
from tests.unit.order.fakes import Store, pending_order
from tests.unit.order.live_fakes import ScriptedFeed, StoreQueries

ALICE = as_user("u-1", "a@example.com", "USER")
BOB = as_user("u-2", "b@example.com", "USER")
STAFF = as_user("sam", "s@example.com", "USER,STAFF")


@pytest.fixture
def store() -> Store:
    store = Store()
    order = pending_order("o-1", "u-1")
    order.cancel(datetime(2025, 1, 1, 13, tzinfo=UTC))  # final: its stream is one event
    order.stored()
    store.orders["o-1"] = order
    return store


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    reader = OrderReader(StoreQueries(store))
    live = LiveOrderStatus(reader, ScriptedFeed(), keepalive_seconds=15)
    app = create_service_app(
        proofs=VERIFIER, title="order under test", routers=[router, live_router], readiness={}
    )
    # Only the reads are called on this path.
    app.state.order_use_cases = SimpleNamespace(read=reader, live=live)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
        yield client


def test_an_event_is_id_event_and_data_then_a_blank_line(store: Store) -> None:
    view = OrderView.of(store.orders["o-1"])

    lines = frame(OrderSnapshot(7, view)).decode().split("\n")

    assert lines[-2:] == ["", ""]
    fields = dict(line.split(": ", 1) for line in lines[:-2])
    assert fields.keys() == {"id", "event", "data"}
    assert fields["id"] == "7" and fields["event"] == "order"
    assert json.loads(fields["data"])["status"] == "CANCELLED"


def test_a_keep_alive_is_a_comment() -> None:
    assert frame(KEEP_ALIVE) == b": keep-alive\n\n"


@pytest.mark.parametrize(
    ("header", "seen"),
    [
        (None, None),
        ("0", 0),
        ("42", 42),
        ("-1", None),
        ("4.2", None),
        ("", None),
        ("abc", None),
        ("٣", None),  # a digit to str.isdigit, not an id we could have sent
        ("1" * 19, None),
    ],
)
def test_last_event_id_counts_only_when_it_is_an_id_we_send(
    header: str | None, seen: int | None
) -> None:
    assert parse_last_event_id(header) == seen


async def test_the_stream_carries_the_same_body_as_get_and_ends_after_a_final_state(
    client: httpx.AsyncClient, store: Store
) -> None:
    response = await client.get(
        "/v1/orders/o-1/events", headers={**ALICE, "Accept": "text/event-stream"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    fields = dict(line.split(": ", 1) for line in response.text.strip().split("\n"))
    assert fields["id"] == str(store.orders["o-1"].version)
    get = await client.get("/v1/orders/o-1", headers=ALICE)
    assert json.loads(fields["data"]) == get.json()


async def test_a_last_event_id_as_new_as_a_final_order_ends_the_stream_at_once(
    client: httpx.AsyncClient, store: Store
) -> None:
    version = str(store.orders["o-1"].version)
    response = await client.get(
        "/v1/orders/o-1/events", headers={**ALICE, "Last-Event-ID": version}
    )

    assert response.status_code == 200
    assert response.text == ""


async def test_staff_follow_any_order(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/orders/o-1/events", headers=STAFF)

    assert response.status_code == 200
    assert "event: order" in response.text


@pytest.mark.parametrize("path", ["/v1/orders/o-1/events", "/v1/orders/missing/events"])
async def test_another_users_or_a_missing_order_is_a_404_problem(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers=BOB)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_no_identity_is_a_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/orders/o-1/events")

    assert response.status_code == 401
