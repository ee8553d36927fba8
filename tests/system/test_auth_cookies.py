"""The refresh cookie through the gateway, as the storefront's browser uses it (docs/adr/0024):
auth's cookies reach the client, the gateway hands the refresh cookie back to auth on its two
paths, and the sign-out still revokes the session's access tokens at the gateway.

That no other service ever receives a cookie is checked where it can be seen, since no real
service echoes the headers it was sent: tests/unit/gateway/test_headers.py (the policy) and
tests/integration/gateway/test_refresh_cookie_forwarding.py (the gateway to echoing stubs).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest

from tests.system.accounts import PASSWORD, sign_up, unique_email
from tests.system.conftest import RunningPlatform

pytestmark = pytest.mark.system

PATHS = {"/v1/auth/refresh", "/v1/auth/logout"}


def refresh_cookies(response: httpx.Response) -> dict[str, str]:
    """The refresh token each Set-Cookie sets, by path ("" when it clears it)."""
    found = {}
    for value in response.headers.get_list("set-cookie"):
        morsel = SimpleCookie(value)["commerce_refresh"]
        assert morsel["httponly"] and morsel["secure"]
        assert morsel["samesite"].lower() == "strict"
        found[morsel["path"]] = "" if morsel["max-age"] == "0" else morsel.value
    return found


def the_token(response: httpx.Response) -> str:
    cookies = refresh_cookies(response)
    assert set(cookies) == PATHS
    [token] = set(cookies.values())
    assert token
    return token


def test_a_browser_session_round_trip_through_the_gateway(
    running: RunningPlatform, gateway: httpx.Client
) -> None:
    browser = {"X-Refresh-Token-Transport": "cookie", "Origin": running.gateway_url}
    email = sign_up(gateway, unique_email("cookie"))["email"]

    login = gateway.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD}, headers=browser
    )
    assert login.status_code == 200, login.text
    assert set(login.json()) == {"token_type", "access_token", "expires_in"}
    first = the_token(login)

    # The browser sends every cookie it holds for the path; only the refresh one matters.
    jar = {"Cookie": f"theme=dark; commerce_refresh={first}"}
    rotated = gateway.post("/v1/auth/refresh", headers={**browser, **jar})
    assert rotated.status_code == 200, rotated.text
    assert "refresh_token" not in rotated.json()
    second = the_token(rotated)
    assert second != first
    access = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert gateway.get("/v1/users/me", headers=access).status_code == 200

    logout = gateway.post(
        "/v1/auth/logout", headers={**browser, "Cookie": f"commerce_refresh={second}"}
    )
    assert logout.status_code == 204
    assert refresh_cookies(logout) == {path: "" for path in PATHS}
    assert "x-revoked-session" not in logout.headers  # the gateway's, never the client's
    assert gateway.get("/v1/users/me", headers=access).status_code == 401
    again = gateway.post(
        "/v1/auth/refresh", headers={**browser, "Cookie": f"commerce_refresh={second}"}
    )
    assert again.status_code == 401


def test_a_page_of_another_origin_gets_no_cookie(gateway: httpx.Client) -> None:
    email = sign_up(gateway, unique_email("cookie"))["email"]
    response = gateway.post(
        "/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-Refresh-Token-Transport": "cookie", "Origin": "https://evil.example"},
    )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers
