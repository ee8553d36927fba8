"""The merged OpenAPI document and Swagger UI at the gateway."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.gateway.conftest import GatewayFactory
from tests.integration.gateway.stubs import Stubs

pytestmark = pytest.mark.integration


async def test_openapi_merges_the_routed_paths_of_every_service(
    gateway: httpx.AsyncClient,
) -> None:
    document = (await gateway.get("/openapi.json")).json()

    assert set(document["paths"]) == {
        "/v1/users",
        "/v1/auth",
        "/v1/products",
        "/v1/orders",
        "/v1/admin/services",  # the gateway's own
    }
    services = document["paths"]["/v1/admin/services"]["get"]
    assert services["security"] == [{"bearerAuth": []}]
    assert (
        "ServicesOut"
        in services["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    schemas = document["components"]["schemas"]
    assert schemas["Thing"]["title"] == "user thing"
    assert schemas["OrderThing"]["title"] == "order thing"
    assert document["paths"]["/v1/orders"]["get"]["security"] == [{"bearerAuth": []}]


async def test_a_service_that_is_down_is_missing_and_comes_back(
    start_gateway: GatewayFactory, stubs: Stubs
) -> None:
    await stubs.take_down("order")
    async with start_gateway(openapi_retry_seconds=0.01) as gateway:
        document = (await gateway.get("/openapi.json")).json()
        assert "/v1/orders" not in document["paths"]
        assert "/v1/users" in document["paths"]

        await stubs.bring_back()
        app = gateway._transport.app  # type: ignore[attr-defined]
        await app.state.gateway.openapi.refresh()
        document = (await gateway.get("/openapi.json")).json()
        assert "/v1/orders" in document["paths"]


async def test_swagger_ui_is_served(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/docs")

    assert response.status_code == 200
    assert "/openapi.json" in response.text
