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
from commerce.order.application.commands import PlaceOrder
from commerce.order.application.place_order import PlaceOrderHandler
from commerce.order.application.ports import RedrivePolicy, StaleOrder
from commerce.order.application.queries import OrderReader
from commerce.order.application.redrive import RedrivePendingOrders
from commerce.order.application.use_cases import OrderUseCases
from commerce.order.application.views import OrderPage, OrderView
from commerce.order.domain.order import Order, OrderStatus, RedriveSchedule
from tests.identity import VERIFIER, as_user
from tests.unit.order import fakes
from tests.unit.order.fakes import FakeClock, FakeUnitOfWork, SequentialIds, Store

ALICE = as_user("alice", "a@example.com", "USER")


class NoQueries:
    """Reads are not what these tests are about."""

    async def get(self, order_id: str) -> OrderView | None:
        return None

    async def list_for_user(
        self, user_id: str, *, limit: int, cursor: str | None, status: OrderStatus | None
    ) -> OrderPage:
        return OrderPage(items=(), next_cursor=None)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def use_cases(store: Store) -> OrderUseCases:
    clock = FakeClock()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    return OrderUseCases(
        place=PlaceOrderHandler(uow, clock, SequentialIds(), max_held_units=1000),
        cancel=CancelOrderHandler(uow, clock),
        read=OrderReader(NoQueries()),
        catalog_replies=CatalogReplyHandler(uow, clock),
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
        created_at=datetime(2026, 1, 1, 9, 0, tzinfo=seoul),
        updated_at=datetime(2026, 1, 1, 9, 0, 0, 250_000, tzinfo=seoul),
    )
    body = OrderOut.of(view).model_dump(mode="json")
    assert (body["created_at"], body["updated_at"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.250000Z",
    )
