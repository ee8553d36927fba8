"""The refresh cookie's attributes, its clearing, the Origin rule and which requests opt in
(docs/adr/0024)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response

from commerce.auth.adapters.inbound.refresh_cookie import (
    CookieTransportRoute,
    CrossOriginRequest,
    RefreshCookies,
)
from commerce.auth.settings import AuthSettings
from commerce.kernel.domain import Forbidden

STOREFRONT = "http://127.0.0.1:8000"
COOKIES = RefreshCookies(secure=True, allowed_origins=frozenset({STOREFRONT}))


def set_cookies(response: Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header parsed, by the cookie's path."""
    parsed = {}
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            cookie: SimpleCookie = SimpleCookie(value.decode())
            parsed[cookie["commerce_refresh"]["path"]] = cookie
    return parsed


def test_the_token_goes_out_in_one_http_only_strict_cookie_per_path() -> None:
    response = Response()

    COOKIES.hand_out(response, "r-token", 3600)

    cookies = set_cookies(response)
    assert set(cookies) == {"/v1/auth/refresh", "/v1/auth/logout"}
    for cookie in cookies.values():
        morsel = cookie["commerce_refresh"]
        assert morsel.value == "r-token"
        assert morsel["max-age"] == "3600"
        assert morsel["httponly"] and morsel["secure"]
        assert morsel["samesite"].lower() == "strict"


def test_secure_is_a_setting() -> None:
    response = Response()

    RefreshCookies(secure=False, allowed_origins=frozenset()).hand_out(response, "r", 60)

    assert all(not c["commerce_refresh"]["secure"] for c in set_cookies(response).values())


def test_clearing_expires_both_cookies_at_once() -> None:
    response = Response()

    COOKIES.clear(response)

    cookies = set_cookies(response)
    assert set(cookies) == {"/v1/auth/refresh", "/v1/auth/logout"}
    assert all(c["commerce_refresh"]["max-age"] == "0" for c in cookies.values())
    assert all(c["commerce_refresh"].value == "" for c in cookies.values())


@pytest.mark.parametrize("origin", [None, STOREFRONT, "HTTP://127.0.0.1:8000"])
def test_no_origin_or_a_served_one_may_use_the_cookie(origin: str | None) -> None:
    COOKIES.check_origin(origin)  # no exception


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "",
        "http://127.0.0.1:8001",
        "https://127.0.0.1:8000",
        "http://127.0.0.1:8000.evil.example",
    ],
)
def test_a_page_of_another_origin_is_refused_with_a_403(origin: str) -> None:
    with pytest.raises(CrossOriginRequest) as refused:
        COOKIES.check_origin(origin)
    assert isinstance(refused.value, Forbidden)


def test_allowed_origins_are_read_from_a_comma_separated_setting() -> None:
    settings = AuthSettings(
        refresh_cookie_origins=" https://Shop.example/ ,, http://localhost:8000"
    )

    assert settings.refresh_cookie_origin_set() == {
        "https://shop.example",
        "http://localhost:8000",
    }


def test_by_default_the_cookie_is_secure_and_for_make_runs_gateway() -> None:
    settings = AuthSettings()

    assert settings.refresh_cookie_secure is True
    assert STOREFRONT in settings.refresh_cookie_origin_set()


def app_with_both_routes() -> FastAPI:
    app = FastAPI()
    app.router.routes.append(
        CookieTransportRoute("/v1/auth/refresh", lambda: "cookie", methods=["POST"])
    )
    app.add_api_route("/v1/auth/refresh", lambda: "body", methods=["POST"])
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://auth")


@pytest.mark.parametrize(
    ("headers", "taken_by"),
    [
        ({}, "body"),
        ({"X-Refresh-Token-Transport": "cookie"}, "cookie"),
        ({"x-refresh-token-transport": "anything"}, "cookie"),  # which then refuses it
        ({"Cookie": "commerce_refresh=r"}, "body"),
    ],
)
async def test_only_requests_naming_a_transport_take_the_cookie_route(
    headers: dict[str, str], taken_by: str
) -> None:
    async with client_of(app_with_both_routes()) as client:
        assert (await client.post("/v1/auth/refresh", headers=headers)).json() == taken_by


async def test_a_wrong_method_still_gets_a_405_either_way() -> None:
    async with client_of(app_with_both_routes()) as client:
        for headers in ({}, {"X-Refresh-Token-Transport": "cookie"}):
            assert (await client.get("/v1/auth/refresh", headers=headers)).status_code == 405
