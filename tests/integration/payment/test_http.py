"""The staff read of a payment over HTTP, on the real tables: 200 with the history for
STAFF, 403 for anyone else, 404 for an order without a payment, 401 without identity."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from commerce.kernel.http.app import create_service_app
from commerce.payment.adapters.inbound.http import router
from commerce.payment.application.commands import RequestPayment
from commerce.payment.application.use_cases import PaymentUseCases
from commerce.payment.domain.payment import PaymentMethod
from tests.identity import VERIFIER, anonymous, as_user

pytestmark = pytest.mark.integration

STAFF = as_user("staff-1", "s@example.com", "USER,STAFF")
BUYER = as_user("buyer-1", "b@example.com", "USER")


@pytest.fixture
async def client(use_cases: PaymentUseCases) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        proofs=VERIFIER, title="payment under test", routers=[router], readiness={}
    )
    app.state.payment_use_cases = use_cases
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://payment") as client:
        yield client


async def test_staff_read_a_payment_and_its_history(
    client: httpx.AsyncClient, use_cases: PaymentUseCases
) -> None:
    await use_cases.request(
        RequestPayment("e-1", "order-1", "buyer-1", 2_000, PaymentMethod.CARD, "tok_visa")
    )
    for payment_id in await use_cases.steps.due(10):
        await use_cases.steps.run(payment_id)
    response = await client.get("/v1/payments/order-1", headers=STAFF)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {
        k: body[k] for k in ("order_id", "user_id", "amount", "method", "status", "reason")
    } == {
        "order_id": "order-1",
        "user_id": "buyer-1",
        "amount": 2_000,
        "method": "card",
        "status": "AUTHORIZED",
        "reason": None,
    }
    assert [(h["status"], h["amount"]) for h in body["history"]] == [
        ("PENDING", 2_000),
        ("AUTHORIZED", 2_000),
    ]
    assert body["history"][0]["at"].endswith("Z")
    assert "token" not in body


async def test_only_staff_may_read(client: httpx.AsyncClient) -> None:
    forbidden = await client.get("/v1/payments/order-1", headers=BUYER)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/payments/order-1", headers=anonymous())).status_code == 401


async def test_an_order_without_payment_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/payments/nope", headers=STAFF)
    assert response.status_code == 404
    assert response.json()["status"] == 404
    too_long = await client.get("/v1/payments/" + "x" * 65, headers=STAFF)
    assert too_long.status_code == 422


async def test_the_openapi_document_describes_the_read(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/payments/{order_id}"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
