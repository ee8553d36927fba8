"""``GET /v1/admin/order/stuck-orders`` over the real tables: PENDING orders older than the
threshold, oldest first, with the saga step they wait at; ADMIN only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.kernel.db import Database
from commerce.kernel.http.app import create_service_app
from commerce.order.adapters.inbound.admin_http import router
from commerce.order.adapters.outbound.stuck_orders import SqlaStuckOrders
from commerce.order.application.commands import PlaceOrder, RecordReservation
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.domain.lines import PricedLine
from tests.identity import VERIFIER, as_user
from tests.unit.order.fakes import FakeClock

pytestmark = pytest.mark.integration

ADMIN = as_user("admin-1", "ops@example.com", "USER,ADMIN")
URL = "/v1/admin/order/stuck-orders"


@pytest.fixture
async def admin_client(database: Database, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(proofs=VERIFIER, title="order admin", routers=[router], readiness={})
    app.state.stuck_orders = SqlaStuckOrders(database.engine, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
        yield client


async def test_stuck_orders_say_what_they_wait_for(
    use_cases: OrderUseCases, clock: FakeClock, admin_client: httpx.AsyncClient
) -> None:
    waiting_stock = (await use_cases.place(PlaceOrder("u-1", (("p-1", 1),)))).order.id
    clock.advance(1)
    waiting_payment = (await use_cases.place(PlaceOrder("u-2", (("p-1", 2),)))).order.id
    reserved = RecordReservation("evt-1", waiting_payment, (PricedLine("p-1", 2, 500),))
    await use_cases.catalog_replies.reserved(reserved)
    clock.advance(1)
    await use_cases.place(PlaceOrder("u-3", (("p-1", 1),)))  # too young to be listed
    clock.advance(100)

    first = await admin_client.get(f"{URL}?older_than_seconds=100&limit=1", headers=ADMIN)
    assert first.status_code == 200, first.text
    [oldest] = first.json()["items"]
    rest = await admin_client.get(
        f"{URL}?older_than_seconds=100&cursor={first.json()['next_cursor']}", headers=ADMIN
    )
    [younger] = rest.json()["items"]

    assert (oldest["id"], oldest["waiting_for"], oldest["status"]) == (
        waiting_stock,
        "stock",
        "PENDING",
    )
    assert oldest["age_seconds"] == 102.0 and oldest["created_at"].endswith("Z")
    assert (younger["id"], younger["waiting_for"]) == (waiting_payment, "payment")
    assert rest.json()["next_cursor"] is None
    default = await admin_client.get(URL, headers=ADMIN)  # older than 60 s by default
    assert len(default.json()["items"]) == 3


async def test_only_admins_and_bounded_thresholds(admin_client: httpx.AsyncClient) -> None:
    staff = as_user("s-1", "s@example.com", "USER,STAFF")
    assert (await admin_client.get(URL, headers=staff)).status_code == 403
    assert (await admin_client.get(URL)).status_code == 401
    for bad in ("0", "86401", "x"):
        response = await admin_client.get(f"{URL}?older_than_seconds={bad}", headers=ADMIN)
        assert response.status_code == 422
