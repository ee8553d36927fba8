"""The refresh token in an HttpOnly cookie, for browsers that opt in (docs/adr/0024): the auth
app in-process over its real stores, SQLite on its own and MariaDB with Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.integration.auth.conftest import drop_keys
from tests.integration.auth.test_app import (
    FakeUserService,
    is_problem,
    log_in,
    running,
    settings,
)

pytestmark = pytest.mark.integration

STOREFRONT = "http://shop.test:8000"
COOKIE_MODE = {"X-Refresh-Token-Transport": "cookie", "Origin": STOREFRONT}
PATHS = {"/v1/auth/refresh", "/v1/auth/logout"}
REFRESH_TTL = 14 * 24 * 3600


@pytest.fixture(params=["sqlite", "mariadb+redis"])
def profile(request: pytest.FixtureRequest, redis_prefix: str) -> dict[str, object]:
    """The stores' settings (resolved here, outside the event loop)."""
    if request.param == "sqlite":
        return {}
    return {
        "database_url": request.getfixturevalue("mariadb_auth_url"),
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_key_prefix": redis_prefix,
    }


@pytest.fixture
async def client(
    profile: dict[str, object], tmp_path: Path, redis_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    config = settings(tmp_path, refresh_cookie_origins=STOREFRONT, **profile)
    async with running(config, FakeUserService()) as client:
        yield client
    if config.redis_url:
        redis = Redis.from_url(config.redis_url)
        await drop_keys(redis, redis_prefix)
        await redis.aclose()


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """The refresh cookies the answer sets, by path."""
    parsed: dict[str, SimpleCookie] = {}
    for value in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie(value)
        parsed[cookie["commerce_refresh"]["path"]] = cookie
    return parsed


def token_in(response: httpx.Response) -> str:
    """The one refresh token both cookies carry."""
    values = {c["commerce_refresh"].value for c in set_cookies(response).values()}
    [token] = values
    return token


def cleared(response: httpx.Response) -> bool:
    cookies = set_cookies(response)
    return set(cookies) == PATHS and all(
        c["commerce_refresh"]["max-age"] == "0" for c in cookies.values()
    )


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    cookie = {"Cookie": f"commerce_refresh={token}"}
    return await client.post("/v1/auth/refresh", headers={**COOKIE_MODE, **cookie})


async def test_login_sets_both_cookies_and_keeps_the_token_out_of_the_body(
    client: httpx.AsyncClient,
) -> None:
    response = await log_in(client, headers=COOKIE_MODE)

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token_type", "access_token", "expires_in"}
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    assert set(cookies) == PATHS
    token = token_in(response)
    assert len(token) >= 43 and token not in response.text
    for cookie in cookies.values():
        morsel = cookie["commerce_refresh"]
        assert morsel["httponly"] and morsel["secure"]
        assert morsel["samesite"].lower() == "strict"
        assert morsel["max-age"] == str(REFRESH_TTL)


async def test_refresh_by_cookie_rotates_and_the_old_cookie_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    first = token_in(await log_in(client, headers=COOKIE_MODE))

    rotated = await refresh(client, first)
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"token_type", "access_token", "expires_in"}
    assert rotated.headers["cache-control"] == "no-store"
    second = token_in(rotated)
    assert second != first

    reused = await refresh(client, first)
    assert is_problem(reused, 401)
    assert cleared(reused)
    assert reused.headers["x-revoked-session"]  # the gateway learns it at once (0023)
    after_theft = await refresh(client, second)
    assert is_problem(after_theft, 401) and cleared(after_theft)


async def test_logout_by_cookie_revokes_and_clears_both_cookies(
    client: httpx.AsyncClient,
) -> None:
    token = token_in(await log_in(client, headers=COOKIE_MODE))
    cookie = {"Cookie": f"commerce_refresh={token}"}

    response = await client.post("/v1/auth/logout", headers={**COOKIE_MODE, **cookie})

    assert response.status_code == 204
    assert cleared(response)
    assert response.headers["x-revoked-session"]
    assert is_problem(await refresh(client, token), 401)


async def test_a_cookie_without_the_opt_in_header_is_ignored(tmp_path: Path) -> None:
    config = settings(tmp_path, refresh_cookie_origins=STOREFRONT)
    async with running(config, FakeUserService()) as client:
        token = token_in(await log_in(client, headers=COOKIE_MODE))
        cookie = {"Cookie": f"commerce_refresh={token}"}

        without_body = await client.post("/v1/auth/refresh", headers=cookie)
        other_body = await client.post(
            "/v1/auth/refresh", headers=cookie, json={"refresh_token": "not-it"}
        )
        logout = await client.post(
            "/v1/auth/logout", headers=cookie, json={"refresh_token": "not-it"}
        )

        assert is_problem(without_body, 422)  # the body is needed, as ever
        assert is_problem(other_body, 401)  # the body's token, not the cookie's
        assert logout.status_code == 204 and "set-cookie" not in logout.headers
        assert "set-cookie" not in other_body.headers
        assert (await refresh(client, token)).status_code == 200  # never touched


async def test_body_mode_is_unchanged_and_sets_no_cookie(tmp_path: Path) -> None:
    async with running(settings(tmp_path), FakeUserService()) as client:
        response = await log_in(client)

        assert set(response.json()) == {"token_type", "access_token", "refresh_token", "expires_in"}
        assert "set-cookie" not in response.headers


async def test_a_page_of_another_origin_is_refused(tmp_path: Path) -> None:
    config = settings(tmp_path, refresh_cookie_origins=STOREFRONT)
    async with running(config, FakeUserService()) as client:
        token = token_in(await log_in(client, headers=COOKIE_MODE))
        evil = {**COOKIE_MODE, "Origin": "https://evil.example"}
        cookie = {"Cookie": f"commerce_refresh={token}"}

        answers = [
            await log_in(client, headers=evil),
            await client.post("/v1/auth/refresh", headers={**evil, **cookie}),
            await client.post("/v1/auth/logout", headers={**evil, **cookie}),
        ]

        for answer in answers:
            assert is_problem(answer, 403), answer.text
            assert "set-cookie" not in answer.headers
        assert (await refresh(client, token)).status_code == 200  # still the user's


async def test_without_origin_the_header_alone_opts_in(tmp_path: Path) -> None:
    async with running(settings(tmp_path), FakeUserService()) as client:
        response = await log_in(client, headers={"X-Refresh-Token-Transport": "cookie"})

        assert response.status_code == 200 and set_cookies(response).keys() == PATHS


async def test_in_cookie_mode_a_missing_or_unknown_cookie_is_401_and_both_are_cleared(
    tmp_path: Path,
) -> None:
    config = settings(tmp_path, refresh_cookie_origins=STOREFRONT)
    unknown = {**COOKIE_MODE, "Cookie": "commerce_refresh=not-a-token"}
    async with running(config, FakeUserService()) as client:
        answers = [
            await client.post("/v1/auth/refresh", headers=COOKIE_MODE, json={}),
            await client.post("/v1/auth/refresh", headers=unknown),
            await client.post("/v1/auth/logout", headers=COOKIE_MODE),
            await client.post("/v1/auth/logout", headers=unknown, json={"refresh_token": 5}),
        ]

        for answer in answers:
            assert is_problem(answer, 401) and cleared(answer), answer.text
            assert answer.headers["cache-control"] == "no-store"


async def test_in_cookie_mode_a_body_token_is_ignored(tmp_path: Path) -> None:
    config = settings(tmp_path, refresh_cookie_origins=STOREFRONT)
    async with running(config, FakeUserService()) as client:
        token = token_in(await log_in(client, headers=COOKIE_MODE))
        cookie = {"Cookie": f"commerce_refresh={token}"}

        response = await client.post(
            "/v1/auth/refresh", headers={**COOKIE_MODE, **cookie}, json={"refresh_token": "x"}
        )

        assert response.status_code == 200 and token_in(response) != token


@pytest.mark.parametrize("value", ["body", "Cookie", ""])
async def test_another_transport_is_a_422(tmp_path: Path, value: str) -> None:
    async with running(settings(tmp_path), FakeUserService()) as client:
        response = await log_in(client, headers={"X-Refresh-Token-Transport": value})

        assert is_problem(response, 422)
        assert "set-cookie" not in response.headers


async def test_secure_can_be_turned_off(tmp_path: Path) -> None:
    config = settings(tmp_path, refresh_cookie_secure=False)
    async with running(config, FakeUserService()) as client:
        response = await log_in(client, headers={"X-Refresh-Token-Transport": "cookie"})

        assert all(not c["commerce_refresh"]["secure"] for c in set_cookies(response).values())
