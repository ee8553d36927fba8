"""Cookies through the real gateway to echoing stub services (docs/adr/0024): auth alone
receives the refresh cookie, on its two paths; no other service ever sees a Cookie header."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.gateway.stubs import Stubs
from tests.unit.gateway.keys import SigningKey

pytestmark = pytest.mark.integration

BROWSER_COOKIES = "theme=dark; commerce_refresh=r-1; tracker=abc"


def cookies_seen(stubs: Stubs) -> list[str]:
    return [value for name, value in stubs.last["headers"] if name == "cookie"]


@pytest.mark.parametrize("path", ["/v1/auth/refresh", "/v1/auth/logout"])
async def test_auth_receives_only_the_refresh_cookie_on_its_paths(
    gateway: httpx.AsyncClient, stubs: Stubs, path: str
) -> None:
    response = await gateway.post(path, headers={"Cookie": BROWSER_COOKIES})

    assert response.status_code == 200
    assert stubs.last["service"] == "auth"
    assert cookies_seen(stubs) == ["commerce_refresh=r-1"]


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("POST", "/v1/auth/login", "auth"),
        ("GET", "/v1/users/me", "user"),
        ("GET", "/v1/products", "product"),
        ("POST", "/v1/orders", "order"),
    ],
)
async def test_no_other_path_or_service_receives_a_cookie(
    gateway: httpx.AsyncClient,
    stubs: Stubs,
    signing_key: SigningKey,
    method: str,
    path: str,
    service: str,
) -> None:
    headers = {"Cookie": BROWSER_COOKIES, "Authorization": f"Bearer {signing_key.sign()}"}

    response = await gateway.request(method, path, headers=headers)

    assert response.status_code == 200
    assert stubs.last["service"] == service
    assert cookies_seen(stubs) == []
