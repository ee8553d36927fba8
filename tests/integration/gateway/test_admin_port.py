"""The gateway's /metrics is on its admin port, not on the clients' port (issue 9, finding 5)."""

from __future__ import annotations

import httpx

from tests.integration.gateway.conftest import GatewayFactory
from tests.integration.gateway.servers import free_port


async def test_metrics_are_served_on_the_admin_port_and_not_to_clients(
    start_gateway: GatewayFactory,
) -> None:
    admin_port = free_port()
    async with start_gateway(admin_port=admin_port) as client:
        assert (await client.get("/metrics")).status_code == 404
        async with httpx.AsyncClient() as operator:
            scraped = await operator.get(f"http://127.0.0.1:{admin_port}/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert 'commerce_gateway_circuit_state{upstream="product"}' in scraped.text


async def test_the_admin_port_closes_with_the_gateway(start_gateway: GatewayFactory) -> None:
    admin_port = free_port()
    async with start_gateway(admin_port=admin_port):
        pass
    async with httpx.AsyncClient() as operator:
        try:
            await operator.get(f"http://127.0.0.1:{admin_port}/metrics", timeout=2)
        except httpx.ConnectError:
            return
    raise AssertionError("the admin port still answers after the gateway stopped")
