"""The ordering API's error mapping over ASGI, with in-memory fakes behind the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from commerce.kernel.http.app import create_service_app
from commerce.order.adapters.inbound.http import router
from commerce.order.application.cancel_order import CancelOrderHandler
from commerce.order.application.catalog_replies import CatalogReplyHandler
from commerce.order.application.commands import PlaceOrder, RecordPayment, RecordReservation
from commerce.order.application.fulfilment import FulfilmentHandler
from commerce.order.application.live_status import LiveOrderStatus
from commerce.order.application.payment_replies import PaymentReplyHandler
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.ports import RedrivePolicy, StaleOrder
from commerce.order.application.queries import OrderReader
from commerce.order.application.redrive import RedrivePendingOrders
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.application.views import (
    OrderView,
    PaymentView,
    ShipmentView,
)
from commerce.order.domain.lines import PricedLine
from commerce.order.domain.order import Order, OrderStatus
from commerce.order.domain.payment import PaymentStatus
from commerce.order.domain.redrive import RedriveSchedule
from tests.identity import VERIFIER, as_user
from tests.unit.order import fakes
from tests.unit.order.fakes import FakeClock, FakeUnitOfWork, SequentialIds, Store
from tests.unit.order.live_fakes import ScriptedFeed, StoreQueries

ALICE = as_user("alice", "a@example.com", "USER")
STAFF = as_user("sam", "s@example.com", "USER,STAFF")


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def use_cases(store: Store) -> OrderUseCases:
    clock = FakeClock()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    reader = OrderReader(StoreQueries(Store()))  # reads are not what these tests are about
    return OrderUseCases(
        place=PlaceOrderHandler(uow, clock, SequentialIds(), max_held_units=1000),
        cancel=CancelOrderHandler(uow, clock),
        read=reader,
        catalog_replies=CatalogReplyHandler(uow, clock),
        payment_replies=PaymentReplyHandler(uow, clock),
        fulfilment=FulfilmentHandler(uow, clock),
        redrive=RedrivePendingOrders(
            uow,
            clock,
            RedrivePolicy(
                RedriveSchedule(
                    after=timedelta(seconds=10),
                    interval=timedelta(seconds=10),
                    max_interval=timedelta(seconds=10),
                )
            ),
        ),
        live=LiveOrderStatus(reader, ScriptedFeed(), keepalive_seconds=15),
    )


@pytest.fixture
async def client(use_cases: OrderUseCases) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        proofs=VERIFIER, title="order under test", routers=[router], readiness={}
    )
    app.state.order_use_cases = use_cases
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://order") as client:
        yield client


async def test_a_cancel_that_never_wins_the_race_is_a_409_problem_to_retry(
    client: httpx.AsyncClient,
    use_cases: OrderUseCases,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = (await use_cases.place(PlaceOrder("alice", (("p-1", 1),)))).order.id

    async def always_stale(self: fakes.FakeOrderRepository, order: Order) -> None:
        raise StaleOrder(order.id)

    monkeypatch.setattr(fakes.FakeOrderRepository, "save", always_stale)
    response = await client.post(f"/v1/orders/{order_id}/cancel", headers=ALICE)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/order-changed-meanwhile")
    assert "retry" in body["detail"].lower()
    assert store.orders[order_id].status is OrderStatus.PENDING


def test_times_are_answered_in_utc_with_a_z() -> None:
    from datetime import datetime, timezone

    from commerce.order.adapters.inbound.schemas import OrderOut

    seoul = timezone(timedelta(hours=9))
    view = OrderView(
        id="o-1",
        user_id="alice",
        status="PENDING",
        items=(),
        total=None,
        reason=None,
        payment=PaymentView("card", "CAPTURED"),
        shipment=ShipmentView("CJ", "T-1", datetime(2026, 1, 1, 10, 0, tzinfo=seoul), None),
        created_at=datetime(2026, 1, 1, 9, 0, tzinfo=seoul),
        updated_at=datetime(2026, 1, 1, 9, 0, 0, 250_000, tzinfo=seoul),
    )
    body = OrderOut.of(view).model_dump(mode="json")
    assert (body["created_at"], body["updated_at"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.250000Z",
    )
    assert body["payment"] == {"method": "card", "status": "CAPTURED"}
    assert body["shipment"] == {
        "carrier": "CJ",
        "tracking_number": "T-1",
        "shipped_at": "2026-01-01T01:00:00Z",
        "delivered_at": None,
    }


# --- v1.1 request rules --------------------------------------------------------------------

ITEMS = [{"product_id": "p-1", "quantity": 1}]


@pytest.mark.parametrize(
    "payment",
    [
        {"method": "card"},
        {"method": "card", "token": "visa"},
        {"method": "card", "token": "tok_"},
        {"method": "card", "token": "tok_" + "a" * 41},
        {"method": "card", "token": "tok_Visa"},
        {"method": "card", "token": "tok_visa "},
        {"method": "card", "token": 42},
        {"method": "cash"},
        {"method": "invoice", "token": "tok_visa"},
        {"method": "card", "token": "tok_visa", "amount": 1},
        {},
        "card",
    ],
)
async def test_a_payment_breaking_the_rules_is_422_and_places_nothing(
    client: httpx.AsyncClient, store: Store, payment: object
) -> None:
    response = await client.post(
        "/v1/orders", json={"items": ITEMS, "payment": payment}, headers=ALICE
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"]
    assert store.orders == {}


@pytest.mark.parametrize(
    ("payment", "method"),
    [
        (None, "invoice"),
        ({"method": "invoice"}, "invoice"),
        ({"method": "card", "token": "tok_visa"}, "card"),
        ({"method": "card", "token": "tok_" + "a_9" * 13 + "z"}, "card"),
    ],
)
async def test_a_valid_payment_is_accepted_and_shown_pending(
    client: httpx.AsyncClient, store: Store, payment: object, method: str
) -> None:
    body: dict[str, object] = {"items": ITEMS}
    if payment is not None:
        body["payment"] = payment
    response = await client.post("/v1/orders", json=body, headers=ALICE)
    assert response.status_code == 202, response.text
    assert response.json()["payment"] == {"method": method, "status": "PENDING"}
    assert response.json()["shipment"] is None
    assert len(store.orders) == 1


async def confirmed_order(use_cases: OrderUseCases) -> str:
    order_id = (await use_cases.place(PlaceOrder("alice", (("p-1", 1),)))).order.id
    priced = (PricedLine("p-1", 1, 100),)
    await use_cases.catalog_replies.reserved(RecordReservation("e-1", order_id, priced))
    await use_cases.payment_replies(RecordPayment("e-2", order_id, PaymentStatus.AUTHORIZED))
    return order_id


async def test_ship_and_deliver_for_staff(
    client: httpx.AsyncClient, use_cases: OrderUseCases
) -> None:
    order_id = await confirmed_order(use_cases)
    shipment = {"carrier": "CJ Logistics", "tracking_number": "6001"}
    shipped = await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=STAFF)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "SHIPPED"
    assert shipped.json()["shipment"]["carrier"] == "CJ Logistics"
    assert shipped.json()["shipment"]["delivered_at"] is None
    again = await client.post(f"/v1/orders/{order_id}/ship", json=shipment, headers=STAFF)
    assert again.status_code == 409 and again.json()["type"].endswith("/order-not-shippable")
    delivered = await client.post(f"/v1/orders/{order_id}/deliver", headers=STAFF)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "DELIVERED"
    assert delivered.json()["shipment"]["delivered_at"] is not None
    again = await client.post(f"/v1/orders/{order_id}/deliver", headers=STAFF)
    assert again.status_code == 409 and again.json()["type"].endswith("/order-not-deliverable")
    cancel = await client.post(f"/v1/orders/{order_id}/cancel", headers=ALICE)
    assert cancel.status_code == 409


async def test_fulfilment_without_staff_is_403_and_changes_nothing(
    client: httpx.AsyncClient, use_cases: OrderUseCases, store: Store
) -> None:
    order_id = await confirmed_order(use_cases)
    shipment = {"carrier": "CJ", "tracking_number": "1"}
    for path, body in ((f"{order_id}/ship", shipment), (f"{order_id}/deliver", None)):
        response = await client.post(f"/v1/orders/{path}", json=body, headers=ALICE)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert store.orders[order_id].status is OrderStatus.CONFIRMED


async def test_fulfilment_of_an_unknown_order_is_404_for_staff(client: httpx.AsyncClient) -> None:
    ship = await client.post(
        "/v1/orders/nope/ship", json={"carrier": "CJ", "tracking_number": "1"}, headers=STAFF
    )
    deliver = await client.post("/v1/orders/nope/deliver", headers=STAFF)
    assert (ship.status_code, deliver.status_code) == (404, 404)


@pytest.mark.parametrize(
    "body",
    [
        {"carrier": "CJ"},
        {"tracking_number": "1"},
        {"carrier": "", "tracking_number": "1"},
        {"carrier": "CJ", "tracking_number": "1" * 101},
        {"carrier": "C" * 101, "tracking_number": "1"},
        {"carrier": "CJ", "tracking_number": "1", "status": "DELIVERED"},
        {"carrier": "CJ\n", "tracking_number": "1"},
        {"carrier": 1, "tracking_number": "1"},
    ],
)
async def test_a_shipment_breaking_the_rules_is_422(
    client: httpx.AsyncClient, use_cases: OrderUseCases, store: Store, body: dict[str, object]
) -> None:
    order_id = await confirmed_order(use_cases)
    response = await client.post(f"/v1/orders/{order_id}/ship", json=body, headers=STAFF)
    assert response.status_code == 422, response.text
    assert store.orders[order_id].status is OrderStatus.CONFIRMED


async def test_scope_all_is_for_staff_and_other_scopes_are_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/orders?scope=all", headers=STAFF)).status_code == 200
    refused = await client.get("/v1/orders?scope=all", headers=ALICE)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    for scope in ("mine", "ALL", ""):
        response = await client.get(f"/v1/orders?scope={scope}", headers=STAFF)
        assert response.status_code == 422, scope
