"""``/v1/admin/**`` at the gateway: routed by prefix to each service, refused without ADMIN
before anything is forwarded, and ``/v1/admin/services`` answered by the gateway itself."""

from __future__ import annotations

import httpx
import pytest

from commerce.gateway.routing import route_for
from tests.integration.gateway.stubs import Stubs
from tests.unit.gateway.keys import SigningKey, claims

pytestmark = pytest.mark.integration


def bearer(signing_key: SigningKey, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {signing_key.sign(claims(roles=list(roles)))}"}


def test_each_service_with_messaging_has_its_admin_prefix() -> None:
    for service in ("user", "product", "order", "payment", "cart"):
        route = route_for(f"/v1/admin/{service}/messaging")
        assert route is not None and route.upstream == service
    assert route_for("/v1/admin/auth/messaging") is None
    assert route_for("/v1/admin/services") is None  # the gateway's own


# The stubs serve user, auth, product and order.
@pytest.mark.parametrize("service", ["user", "product", "order"])
async def test_an_admin_reaches_each_services_admin_api_unchanged(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey, service: str
) -> None:
    path = f"/v1/admin/{service}/dead-letters/3/replay"
    response = await gateway.post(path, headers=bearer(signing_key, "USER", "ADMIN"))
    assert response.status_code == 200
    assert (stubs.last["service"], stubs.last["path"]) == (service, path)


async def test_without_admin_nothing_is_forwarded(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    before = len(stubs.received)
    for headers, status in (({}, 401), (bearer(signing_key, "USER", "STAFF"), 403)):
        response = await gateway.post("/v1/admin/product/dead-letters/replay", headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/admin-only")
    assert len(stubs.received) == before
    # auth has no admin API: not routed.
    auth = await gateway.get("/v1/admin/auth/messaging", headers=bearer(signing_key, "ADMIN"))
    assert auth.status_code == 404


async def test_the_gateway_lists_each_process_and_its_metrics_for_admins_only(
    gateway: httpx.AsyncClient, stubs: Stubs, signing_key: SigningKey
) -> None:
    listed = await gateway.get("/v1/admin/services", headers=bearer(signing_key, "ADMIN"))
    assert listed.status_code == 200, listed.text
    urls = {item["name"]: item["metrics_url"] for item in listed.json()["items"]}
    assert urls["product"] == stubs.urls["product"] + "/metrics"
    assert set(urls) == {"gateway", "user", "auth", "product", "order", "payment", "cart"}
    assert urls["gateway"].endswith("/metrics")
    refused = await gateway.get("/v1/admin/services", headers=bearer(signing_key, "USER"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await gateway.get("/v1/admin/services")).status_code == 401
