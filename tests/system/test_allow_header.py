"""A method a path does not serve is a 405 whose ``Allow`` lists every method it does serve,
from a service's own port and through the gateway (which passes the service's answer on)."""

from __future__ import annotations

import httpx
import pytest

from tests.system.accounts import new_account
from tests.system.conftest import RunningPlatform

pytestmark = pytest.mark.system

# Path -> the methods the merged document lists for it.
PATHS = {
    "/v1/products": "GET, POST",
    "/v1/products/p-1": "GET, PATCH",
    "/v1/orders": "GET, POST",
}


@pytest.mark.parametrize(("path", "allowed"), PATHS.items())
def test_a_service_port_lists_every_method(
    running: RunningPlatform, path: str, allowed: str
) -> None:
    service = "product" if path.startswith("/v1/products") else "order"
    with httpx.Client(base_url=running.url(service), timeout=15.0) as client:
        response = client.request("OPTIONS", path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(("path", "allowed"), PATHS.items())
def test_the_gateway_passes_the_whole_list_on(
    gateway: httpx.Client, path: str, allowed: str
) -> None:
    account = new_account(gateway, "allow")
    for method in ("OPTIONS", "DELETE", "PUT"):
        response = gateway.request(method, path, headers=account.auth)
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == allowed


def test_the_document_lists_the_same_methods(gateway: httpx.Client) -> None:
    paths = gateway.get("/openapi.json").json()["paths"]
    for path, allowed in PATHS.items():
        template = path.replace("p-1", "{product_id}")
        assert ", ".join(sorted(method.upper() for method in paths[template])) == allowed
