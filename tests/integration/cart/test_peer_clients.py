"""The order and product clients against small real HTTP servers on loopback.

The stand-in order service checks what the real one checks: the gateway's proof (with the
run's verifier) and the idempotency key, one order per key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from commerce.cart.adapters.outbound.order_client import HttpOrderPlacer
from commerce.cart.adapters.outbound.product_client import HttpProductCatalog
from commerce.cart.application.ports import (
    CatalogUnavailable,
    OrderRefused,
    OrderRequest,
    OrderServiceFailed,
    OrderServiceUnavailable,
)
from commerce.cart.domain.cart import OrderedLine
from commerce.cart.domain.catalog import CatalogEntry
from commerce.kernel.http.gateway_proof import InvalidProof
from commerce.kernel.http.identity import Identity
from commerce.kernel.http.peer_client import peer_client
from tests.identity import VERIFIER, proof
from tests.integration.gateway.servers import SilentServer, ThreadedServer, free_port

pytestmark = pytest.mark.integration
ALICE = Identity("alice", "a@example.com", ("USER",))
PROBLEM = {"Content-Type": "application/problem+json"}


class StandInOrders:
    """POST /v1/orders as the order service answers it; ``answer`` forces a status."""

    def __init__(self) -> None:
        self.orders: dict[tuple[str, str], dict[str, Any]] = {}
        self.bodies: list[dict[str, Any]] = []
        self.answer: int | None = None

    async def place(self, request: Request) -> Response:
        try:
            identity = VERIFIER.verify(request.headers["x-gateway-proof"].encode()).identity
        except (KeyError, InvalidProof):
            return JSONResponse({"status": 401}, status_code=401, headers=PROBLEM)
        if self.answer is not None:
            return JSONResponse({"status": self.answer}, status_code=self.answer, headers=PROBLEM)
        assert identity is not None
        body = await request.json()
        self.bodies.append(body)
        key = (identity.user_id, request.headers["idempotency-key"])
        if key in self.orders:
            if self.orders[key]["items"] != body["items"]:
                problem = {"type": "t/idempotency-key-reused", "status": 422, "errors": []}
                return JSONResponse(problem, status_code=422, headers=PROBLEM)
            return JSONResponse(self.orders[key], status_code=200)
        order = {
            "id": f"o{len(self.orders) + 1}",
            "user_id": identity.user_id,
            "status": "PENDING",
            "items": body["items"],
        }
        self.orders[key] = order
        return JSONResponse(
            order, status_code=202, headers={"Location": f"/v1/orders/{order['id']}"}
        )


@pytest.fixture(scope="module")
def stand_in() -> Iterator[tuple[StandInOrders, str]]:
    orders = StandInOrders()

    async def product(request: Request) -> Response:
        product_id = request.path_params["product_id"]
        if product_id == "broken":
            return JSONResponse({"status": 500}, status_code=500)
        if product_id != "p-1":
            return JSONResponse({"status": 404}, status_code=404, headers=PROBLEM)
        body = {"id": "p-1", "name": "Pen", "price": 1500, "stock": 7, "sku": None}
        return JSONResponse(body)

    app = Starlette(
        routes=[
            Route("/v1/orders", orders.place, methods=["POST"]),
            Route("/v1/products/{product_id}", product),
        ]
    )
    server = ThreadedServer(app, free_port())
    server.start()
    try:
        yield orders, server.url
    finally:
        server.stop()


@pytest.fixture
async def client(stand_in: tuple[StandInOrders, str]) -> AsyncIterator[httpx.AsyncClient]:
    stand_in[0].answer = None
    async with peer_client(stand_in[1], 5.0) as client:
        yield client


def request(key: str, quantity: int = 2) -> OrderRequest:
    return OrderRequest(
        lines=(OrderedLine("p-1", quantity),),
        payment={"method": "card", "token": "tok_visa"},
        idempotency_key=key,
        proof=proof(ALICE),
    )


async def test_an_order_is_placed_once_per_key_with_the_callers_proof(
    client: httpx.AsyncClient, stand_in: tuple[StandInOrders, str]
) -> None:
    placer = HttpOrderPlacer(client)
    placed = await placer.place(request("key-1"))
    again = await placer.place(request("key-1"))
    assert (placed.status_code, again.status_code) == (202, 200)
    assert placed.order_id == again.order_id and placed.body["user_id"] == "alice"
    assert placed.location == f"/v1/orders/{placed.order_id}"
    assert stand_in[0].bodies[0] == {
        "items": [{"product_id": "p-1", "quantity": 2}],
        "payment": {"method": "card", "token": "tok_visa"},
    }


async def test_the_order_services_422_is_passed_on_as_it_said_it(
    client: httpx.AsyncClient,
) -> None:
    placer = HttpOrderPlacer(client)
    await placer.place(request("key-2"))
    with pytest.raises(OrderRefused) as refused:
        await placer.place(request("key-2", quantity=3))
    assert refused.value.status_code == 422
    assert refused.value.problem["type"] == "t/idempotency-key-reused"


async def test_a_refused_proof_or_a_server_error_is_a_failure_not_the_clients(
    client: httpx.AsyncClient, stand_in: tuple[StandInOrders, str]
) -> None:
    placer = HttpOrderPlacer(client)
    unsigned = OrderRequest((OrderedLine("p-1", 1),), None, "key-3", "not-a-proof")
    with pytest.raises(OrderServiceFailed):
        await placer.place(unsigned)
    stand_in[0].answer = 500
    with pytest.raises(OrderServiceFailed):
        await placer.place(request("key-4"))
    stand_in[0].answer = 503
    with pytest.raises(OrderServiceUnavailable):
        await placer.place(request("key-5"))


async def test_an_order_service_that_is_down_or_hangs_is_unavailable() -> None:
    async with peer_client(f"http://127.0.0.1:{free_port()}", 1.0) as closed:
        with pytest.raises(OrderServiceUnavailable):
            await HttpOrderPlacer(closed).place(request("key-6"))
    silent = SilentServer()
    await silent.start()
    try:
        async with peer_client(silent.url, 0.3) as hanging:
            with pytest.raises(OrderServiceUnavailable):
                await HttpOrderPlacer(hanging).place(request("key-7"))
    finally:
        await silent.stop()


async def test_the_catalog_answers_a_product_or_none(client: httpx.AsyncClient) -> None:
    catalog = HttpProductCatalog(client)
    assert await catalog.product("p-1") == CatalogEntry("p-1", "Pen", 1500, 7)
    assert await catalog.product("p-2") is None
    with pytest.raises(CatalogUnavailable):
        await catalog.product("broken")


async def test_an_unreachable_catalog_is_never_a_404() -> None:
    async with peer_client(f"http://127.0.0.1:{free_port()}", 1.0) as closed:
        with pytest.raises(CatalogUnavailable):
            await HttpProductCatalog(closed).product("p-1")
