"""Sign-in, refresh, sign-out and the JWKS through the gateway, as a client sees them
(API.md, "Identity" and "Tokens"). The login limit is checked on a second auth + gateway
pair with low limits, next to the session's platform, so no other test can trip it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest

from commerce.platform import Platform, PlatformConfig, service_environments
from tests.system.accounts import PASSWORD, Account, log_in, new_account, sign_up, unique_email
from tests.system.conftest import RunningPlatform, free_ports

pytestmark = pytest.mark.system

PROBLEM = "application/problem+json"
PAIR_KEYS = {"token_type", "access_token", "refresh_token", "expires_in"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


@pytest.fixture
def account(gateway: httpx.Client) -> Account:
    return new_account(gateway, "auth")


def test_login_gives_an_eddsa_token_the_jwks_verifies(
    gateway: httpx.Client, account: Account
) -> None:
    pair = log_in(gateway, account.email)
    assert set(pair) == PAIR_KEYS
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
    header = jwt.get_unverified_header(pair["access_token"])
    assert header["alg"] == "EdDSA"
    jwks = gateway.get("/v1/auth/jwks").json()
    [jwk] = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    claims = jwt.decode(
        pair["access_token"],
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience="commerce",
        issuer="commerce-auth",
    )
    assert claims["sub"] == account.id and claims["email"] == account.email
    assert claims["roles"] == ["USER"]
    assert claims["exp"] - claims["iat"] == 900
    assert {"iat", "exp", "jti"} <= set(claims)
    me = gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == account.id


def test_login_email_is_case_insensitive(gateway: httpx.Client, account: Account) -> None:
    assert log_in(gateway, account.email.upper())["access_token"]


def test_wrong_password_and_unknown_email_get_identical_401s(
    gateway: httpx.Client, account: Account
) -> None:
    wrong = gateway.post(
        "/v1/auth/login", json={"email": account.email, "password": "not the password"}
    )
    unknown = gateway.post(
        "/v1/auth/login", json={"email": unique_email("nobody"), "password": PASSWORD}
    )
    assert assert_problem(wrong, 401) == assert_problem(unknown, 401)


def test_login_refuses_extra_fields(gateway: httpx.Client, account: Account) -> None:
    response = gateway.post(
        "/v1/auth/login",
        json={"email": account.email, "password": PASSWORD, "roles": ["ADMIN"]},
    )
    assert_problem(response, 422)


def test_refresh_rotates_the_pair(gateway: httpx.Client, account: Account) -> None:
    response = refresh(gateway, account.refresh_token)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) == PAIR_KEYS
    assert pair["refresh_token"] != account.refresh_token
    me = gateway.get("/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == account.id
    assert refresh(gateway, pair["refresh_token"]).status_code == 200


def test_reuse_revokes_the_family_so_the_newer_token_dies_too(
    gateway: httpx.Client, account: Account
) -> None:
    newer = refresh(gateway, account.refresh_token).json()["refresh_token"]
    assert_problem(refresh(gateway, account.refresh_token), 401)  # the thief replays
    assert_problem(refresh(gateway, newer), 401)  # and the victim's newer token is dead
    # Other sign-ins of the same user are other families, untouched.
    other = log_in(gateway, account.email)
    assert refresh(gateway, other["refresh_token"]).status_code == 200


def test_unknown_refresh_token_is_401(gateway: httpx.Client) -> None:
    assert_problem(refresh(gateway, "not-a-token-we-issued"), 401)


def test_logout_ends_the_family_and_is_204_for_unknown_tokens(
    gateway: httpx.Client, account: Account
) -> None:
    newer = refresh(gateway, account.refresh_token).json()["refresh_token"]
    response = gateway.post("/v1/auth/logout", json={"refresh_token": newer})
    assert response.status_code == 204 and response.content == b""
    assert_problem(refresh(gateway, newer), 401)
    again = gateway.post("/v1/auth/logout", json={"refresh_token": newer})
    assert again.status_code == 204
    unknown = gateway.post("/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 204


def test_jwks_is_cacheable_and_public_only(gateway: httpx.Client) -> None:
    response = gateway.get("/v1/auth/jwks")
    assert response.status_code == 200
    assert "max-age" in response.headers.get("cache-control", "")
    assert response.json()["keys"]
    for key in response.json()["keys"]:
        assert {"kty", "kid"} <= set(key) and "d" not in key


# --- the login limit, on a strict auth + gateway pair ----------------------------------------

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 6


@pytest.fixture(scope="module")
def strict_platform(
    running: RunningPlatform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PlatformConfig]:
    """Its own auth (low limits) and gateway; users, products and orders of ``running``."""
    tmp = tmp_path_factory.mktemp(f"strict-{running.profile}")
    main = running.platform.config
    ports = {**main.ports}
    ports["gateway"], ports["auth"], admin_port = free_ports(3)
    # Same profile (Redis when the platform has it), own key prefixes and own SQLite file.
    env = {k: v for k, v in main.extra_env.items() if not k.endswith("_DATABASE_URL")}
    for name in ("AUTH", "GATEWAY"):
        if f"{name}_REDIS_KEY_PREFIX" in env:
            env[f"{name}_REDIS_KEY_PREFIX"] += "strict:"
    env["AUTH_LOGIN_RATE_PER_ACCOUNT"] = str(ACCOUNT_LIMIT)
    env["AUTH_LOGIN_RATE_PER_ADDRESS"] = str(ADDRESS_LIMIT)
    config = PlatformConfig(
        ports=ports,
        gateway_admin_port=admin_port,
        var_dir=tmp / "var",
        log_dir=tmp / "logs",
        extra_env=env,
    )
    platform = Platform(config)
    envs = service_environments(config)
    # Trusted by the running platform's user service: its credential and its proof key pair.
    main_envs = running.platform.environments()
    for name, keys in (
        ("auth", ("AUTH_USER_SERVICE_TOKEN", "AUTH_GATEWAY_PUBLIC_KEY_FILE")),
        ("gateway", ("GATEWAY_PROOF_SIGNING_KEY_FILE",)),
    ):
        envs[name].update({key: main_envs[name][key] for key in keys})
    try:
        platform.start_service("auth", envs["auth"])
        platform.wait_ready(("auth",))
        platform.start_service("gateway", envs["gateway"])
        platform.wait_ready(("gateway",))
        yield config
    finally:
        platform.stop()


@pytest.fixture(scope="module")
def strict_gateway(strict_platform: PlatformConfig) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=strict_platform.url("gateway"), timeout=15.0) as client:
        yield client


def test_too_many_logins_are_429_with_retry_after(strict_gateway: httpx.Client) -> None:
    email = sign_up(strict_gateway, unique_email("limited"))["email"]
    for _ in range(ACCOUNT_LIMIT):
        wrong = strict_gateway.post("/v1/auth/login", json={"email": email, "password": "guess"})
        assert_problem(wrong, 401)
    # Every attempt counts: now even the right password waits.
    limited = strict_gateway.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    # The client's address (the gateway's single X-Forwarded-For entry) has its own budget,
    # spent by every account tried from it; a client-sent X-Forwarded-For changes nothing.
    # The 429 above spent none of it (a refused attempt spends no budget, ADR 0022).
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    statuses = [
        strict_gateway.post(
            "/v1/auth/login",
            json={"email": unique_email("spray"), "password": "guess"},
            headers=spoofed,
        ).status_code
        for _ in range(ADDRESS_LIMIT - ACCOUNT_LIMIT + 1)
    ]
    assert statuses[:-1] == [401] * (len(statuses) - 1)
    assert statuses[-1] == 429


def test_a_forwarded_address_sent_straight_to_auth_escapes_no_limit(
    strict_platform: PlatformConfig,
) -> None:
    """Issue 9, finding 1: auth took the client address from any caller's X-Forwarded-For,
    so a new address per attempt, sent to auth's port, was a fresh budget each time. Now
    only the gateway's proof names an address; without one it is the TCP peer."""
    statuses = []
    with httpx.Client(base_url=strict_platform.url("auth"), timeout=15.0) as direct:
        for attempt in range(ADDRESS_LIMIT + 1):
            statuses.append(
                direct.post(
                    "/v1/auth/login",
                    json={"email": unique_email("rotate"), "password": "guess"},
                    headers={"X-Forwarded-For": f"198.51.100.{attempt + 1}"},
                ).status_code
            )
    assert set(statuses) <= {401, 429}
    assert 429 in statuses, "rotating X-Forwarded-For still bought a fresh address budget"
